import { useNow } from "../app/use-now";
import { formatRemaining, formatTime } from "./format";
import { icons } from "./icons";

/** A time in the viewer's zone; the exact UTC instant is in the element for machines and tooltips. */
export function LocalTime({ iso, seconds }: { iso: string; seconds?: boolean }) {
  return (
    <time dateTime={iso} title={new Date(iso).toUTCString()}>
      {formatTime(iso, seconds)}
    </time>
  );
}

/** A live countdown to `until`, e.g. "Access ends in 59 min 58 s". */
export function Countdown({ until, label, over }: { until: string; label: string; over: string }) {
  const now = useNow();
  const left = new Date(until).getTime() - now;
  const urgent = left > 0 && left < 15 * 60_000;
  return (
    <span className={`countdown${left <= 0 ? " countdown-over" : urgent ? " countdown-urgent" : ""}`} data-testid="countdown">
      <icons.clock />
      {left > 0 ? (
        <span>
          {label} <strong>{formatRemaining(left)}</strong>
        </span>
      ) : (
        <span>{over}</span>
      )}
    </span>
  );
}
