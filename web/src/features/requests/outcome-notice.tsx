import { Notice } from "../../ui/alerts";
import type { DecisionOutcome } from "./decision-panel";

/** The last action's result at the top of the page; it stays after the acted-on item is gone. */
export function OutcomeNotice({ outcome, onDismiss }: { outcome: DecisionOutcome | null; onDismiss: () => void }) {
  if (!outcome) return null;
  return (
    <div role="status" data-testid="outcome">
      <Notice tone={outcome.tone}>
        <p>
          {outcome.request && outcome.tone === "warning" ? <strong>{outcome.request.ticket}: </strong> : null}
          {outcome.message}
        </p>
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      </Notice>
    </div>
  );
}
