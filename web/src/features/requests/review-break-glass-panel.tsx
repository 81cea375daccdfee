import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest } from "../../api/types";
import { isProviderStaff, useUser } from "../../app/session";
import { ErrorAlert, Notice } from "../../ui/alerts";
import { TextArea } from "../../ui/fields";
import { LocalTime } from "../../ui/time";

const pendingStatuses = ["pending_manager", "pending_customer"];

/**
 * Break-glass on the request page (SPEC 17): the marker (who broke the glass, when), the provider's
 * buttons (a manager asks, a second manager or provider admin confirms), and the customer's review
 * (accept, or dispute with a reason). Shown only where it applies; the server decides the rest.
 */
export function BreakGlassPanel({ request: r, onChanged }: { request: AccessRequest; onChanged: () => void }) {
  const user = useUser();
  const provider = isProviderStaff(user);
  const bg = r.breakGlass;
  const canBreak =
    provider &&
    r.reasonType === "production_incident" &&
    pendingStatuses.includes(r.status) &&
    r.requester.id !== user.id &&
    !bg?.by.some((p) => p.id === user.id) &&
    (bg ? user.roles.some((role) => role === "manager" || role === "provider_admin") : user.roles.includes("manager"));
  const canReview = !provider && bg?.granted === true && bg.review === null && user.roles.some((role) => role === "global_admin" || role === "lockbox_approver");
  if (!bg && !canBreak) return null;
  return (
    <div className="stack" data-testid="break-glass">
      {bg && (
        <Notice tone={bg.granted ? "warning" : "info"}>
          <p>
            <strong>{bg.granted ? "Break-glass access" : "Break-glass asked"}</strong>:{" "}
            {bg.by.map((p, i) => (
              <span key={p.id}>
                {i > 0 && (i === bg.by.length - 1 ? " and " : ", ")}
                {p.name} (<LocalTime iso={p.at} />)
              </span>
            ))}
            .{" "}
            {bg.granted
              ? "Granted at once for a production incident, without the customer's approval."
              : "A second, different manager or provider admin must confirm."}
          </p>
          {bg.review ? (
            <p data-testid="break-glass-review">
              Reviewed by {bg.review.by.name}: <strong>{bg.review.verdict === "accepted" ? "Accepted" : "Disputed"}</strong>
              {bg.review.comment && <> — “{bg.review.comment}”</>}
            </p>
          ) : (
            bg.granted && <p className="small">Waiting for the customer's review.</p>
          )}
        </Notice>
      )}
      {canBreak && <BreakGlassButton request={r} confirming={Boolean(bg)} onChanged={onChanged} />}
      {canReview && <ReviewForm request={r} onChanged={onChanged} />}
    </div>
  );
}

function BreakGlassButton({ request: r, confirming, onChanged }: { request: AccessRequest; confirming: boolean; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setError(null);
    setBusy(true);
    try {
      await api.post(`/v1/requests/${encodeURIComponent(r.id)}/break-glass`, {});
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      <ErrorAlert error={error} />
      <p className="muted small">
        {confirming
          ? "Confirming grants access at once. The customer is told immediately and reviews it afterwards."
          : "Emergency access for this production incident, if the customer allows it: a second person must confirm."}
      </p>
      <button type="button" className="button button-danger" disabled={busy} onClick={() => void go()}>
        {confirming ? "Confirm break-glass" : "Break glass"}
      </button>
    </div>
  );
}

function ReviewForm({ request: r, onChanged }: { request: AccessRequest; onChanged: () => void }) {
  const [comment, setComment] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (verdict: "accepted" | "disputed", e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api.post(`/v1/requests/${encodeURIComponent(r.id)}/review`, { verdict, ...(comment.trim() ? { comment: comment.trim() } : {}) });
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form" aria-label="Review the break-glass access" onSubmit={(e) => void submit("accepted", e)}>
      <h3>Your review</h3>
      <p className="muted small">The provider used emergency access without your approval. Accept it, or dispute it and say why: the provider's admins see every dispute.</p>
      <ErrorAlert error={error} />
      <TextArea label="Comment" hint="Required to dispute." maxLength={2000} rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          Accept
        </button>
        <button type="button" className="button button-danger-outline" disabled={busy} onClick={() => void submit("disputed")}>
          Dispute
        </button>
      </div>
    </form>
  );
}
