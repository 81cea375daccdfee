import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest } from "../../api/types";
import { isProviderStaff, useUser } from "../../app/session";
import { ErrorAlert } from "../../ui/alerts";
import { TextArea, TextField } from "../../ui/fields";
import { formatMinutes } from "../../ui/format";
import { Card } from "../../ui/page";
import { LocalTime } from "../../ui/time";

const ended = ["rejected", "denied", "expired", "canceled", "revoked", "completed"];

/** Runs one POST with busy and error state; `onChanged` reloads the request after it. */
function usePost(onChanged: () => void) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (path: string, body: unknown, after?: () => void) => {
    setError(null);
    setBusy(true);
    try {
      await api.post(path, body);
      after?.();
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

/**
 * Questions and extensions on the request page (SPEC 17): the customer's approvers ask and the
 * requester answers; the requester asks for more time while access is granted and the approvers
 * approve or deny it. The thread itself is in the history timeline; this card holds the forms.
 * The server decides who may do what; the forms only show where they can succeed.
 */
export function RequestWorkflowPanel({ request: r, status, onChanged }: { request: AccessRequest; status: string; onChanged: () => void }) {
  const user = useUser();
  const provider = isProviderStaff(user);
  const approver = !provider && user.roles.some((role) => role === "global_admin" || role === "lockbox_approver");
  const mine = r.requester.id === user.id;
  const open = !ended.includes(status);
  const unanswered = mine ? r.questions.filter((q) => q.answer === null) : [];
  const pendingExtensions = approver ? r.extensions.filter((e) => e.status === "pending" && !e.approvals.some((a) => a.by.id === user.id)) : [];
  const canAsk = approver && open;
  const canExtend = mine && status === "approved";
  if (!canAsk && unanswered.length === 0 && pendingExtensions.length === 0 && !canExtend) return null;
  return (
    <Card title="Questions and extensions">
      <div className="stack" data-testid="workflow-panel">
        {unanswered.map((q) => (
          <AnswerForm key={q.id} request={r} question={q} onChanged={onChanged} />
        ))}
        {pendingExtensions.map((e) => (
          <ExtensionDecision key={e.id} request={r} extension={e} onChanged={onChanged} />
        ))}
        {canAsk && <AskForm request={r} onChanged={onChanged} />}
        {canExtend && <ExtendForm request={r} onChanged={onChanged} />}
      </div>
    </Card>
  );
}

function AskForm({ request: r, onChanged }: { request: AccessRequest; onChanged: () => void }) {
  const [text, setText] = useState("");
  const { error, busy, run } = usePost(onChanged);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(`/v1/requests/${encodeURIComponent(r.id)}/questions`, { text: text.trim() }, () => setText(""));
  };
  return (
    <form className="form" aria-label="Ask the requester" onSubmit={submit}>
      <ErrorAlert error={error} />
      <TextArea label="Ask the requester" hint="The decision deadline does not move while you wait for the answer." required maxLength={2000} rows={2} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" className="button" disabled={busy || text.trim() === ""}>
        Ask
      </button>
    </form>
  );
}

function AnswerForm({ request: r, question: q, onChanged }: { request: AccessRequest; question: AccessRequest["questions"][number]; onChanged: () => void }) {
  const [text, setText] = useState("");
  const { error, busy, run } = usePost(onChanged);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(`/v1/requests/${encodeURIComponent(r.id)}/questions/${encodeURIComponent(q.id)}/answer`, { text: text.trim() });
  };
  return (
    <form className="form" aria-label="Answer the question" onSubmit={submit}>
      <p className="small">
        <strong>{q.askedBy.name}</strong> asks: “{q.text}”
      </p>
      <ErrorAlert error={error} />
      <TextArea label="Your answer" required maxLength={2000} rows={2} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" className="button button-primary" disabled={busy || text.trim() === ""}>
        Answer
      </button>
    </form>
  );
}

function ExtendForm({ request: r, onChanged }: { request: AccessRequest; onChanged: () => void }) {
  const [minutes, setMinutes] = useState("30");
  const [reason, setReason] = useState("");
  const { error, busy, run } = usePost(onChanged);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(`/v1/requests/${encodeURIComponent(r.id)}/extensions`, { minutes: Number(minutes), reason: reason.trim() }, () => setReason(""));
  };
  return (
    <form className="form" aria-label="Ask for more time" onSubmit={submit}>
      <ErrorAlert error={error} />
      <TextField label="More minutes" type="number" min={1} max={1440} required value={minutes} onChange={(e) => setMinutes(e.target.value)} />
      <TextArea label="Why more time" hint="The customer's approvers decide before your access ends." required maxLength={2000} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="submit" className="button" disabled={busy || reason.trim() === "" || !(Number(minutes) >= 1)}>
        Ask for more time
      </button>
    </form>
  );
}

function ExtensionDecision({ request: r, extension: e, onChanged }: { request: AccessRequest; extension: AccessRequest["extensions"][number]; onChanged: () => void }) {
  const [comment, setComment] = useState("");
  const { error, busy, run } = usePost(onChanged);
  const decide = (verdict: "approve" | "deny") =>
    void run(`/v1/requests/${encodeURIComponent(r.id)}/extensions/${encodeURIComponent(e.id)}/${verdict}`, comment.trim() ? { comment: comment.trim() } : {});
  return (
    <div className="stack" data-testid="extension-decision">
      <p className="small">
        <strong>{e.requestedBy.name}</strong> asks for {formatMinutes(e.minutes)} more (<LocalTime iso={e.requestedAt} />): “{e.reason}”
        {e.requiredApprovals > 1 && (
          <span className="muted">
            {" "}
            · {e.approvals.length} of {e.requiredApprovals} approvals
          </span>
        )}
      </p>
      <ErrorAlert error={error} />
      <TextArea label="Comment (optional)" maxLength={2000} rows={2} value={comment} onChange={(ev) => setComment(ev.target.value)} />
      <div className="button-row">
        <button type="button" className="button button-primary" disabled={busy} onClick={() => decide("approve")}>
          Approve extension
        </button>
        <button type="button" className="button button-danger-outline" disabled={busy} onClick={() => decide("deny")}>
          Deny extension
        </button>
      </div>
    </div>
  );
}
