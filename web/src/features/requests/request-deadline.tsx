import type { AccessRequest } from "../../api/types";
import { useUser } from "../../app/session";
import { useNow } from "../../app/use-now";
import { Countdown, LocalTime } from "../../ui/time";
import { actionsFor, isActive, isPending, liveStatus } from "./request-rules";

/**
 * The one time that matters now: the decision deadline, the end of access, or when it ended.
 * "Decide within" is said only to someone who decides at this stage; everyone else reads whose
 * turn it is and when the request expires.
 */
export function RequestDeadline({ request: r, compact }: { request: AccessRequest; compact?: boolean }) {
  const now = useNow();
  const user = useUser();
  if (isPending(r, now)) {
    const mine = actionsFor(r, user, now).includes("approve");
    const whose = liveStatus(r, now) === "pending_manager" ? "the provider's manager" : "the customer";
    const label = mine ? (compact ? "Due in" : "Decide within") : compact ? "Expires in" : `Waiting for ${whose}; expires in`;
    return (
      <span className="stack-xs">
        <Countdown until={r.decideBy} label={label} over="Deadline passed" />
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
