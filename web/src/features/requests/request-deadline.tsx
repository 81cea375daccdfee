import type { AccessRequest } from "../../api/types";
import { useNow } from "../../app/use-now";
import { Countdown, LocalTime } from "../../ui/time";
import { isActive, isPending } from "./request-rules";

/** The one time that matters now: the decision deadline, the end of access, or when it ended. */
export function RequestDeadline({ request: r, compact }: { request: AccessRequest; compact?: boolean }) {
  const now = useNow();
  if (isPending(r, now)) {
    return (
      <span className="stack-xs">
        <Countdown until={r.decideBy} label={compact ? "Due in" : "Decide within"} over="Deadline passed" />
        {!compact && (
          <span className="muted small">
            by <LocalTime iso={r.decideBy} />
          </span>
        )}
      </span>
    );
  }
  if (isActive(r, now) && r.accessEndsAt) {
    return (
      <span className="stack-xs">
        <Countdown until={r.accessEndsAt} label={compact ? "Ends in" : "Access ends in"} over="Access ended" />
        {!compact && (
          <span className="muted small">
            at <LocalTime iso={r.accessEndsAt} />
          </span>
        )}
      </span>
    );
  }
  const ended = r.endedAt ?? r.accessEndsAt;
  return ended ? (
    <span className="muted small">
      Ended <LocalTime iso={ended} />
    </span>
  ) : (
    <span className="muted small">—</span>
  );
}
