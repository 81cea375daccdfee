import type { AccessRequest } from "../../api/types";
import { formatMinutes, formatTime } from "../../ui/format";
import { LocalTime } from "../../ui/time";

interface Step {
  title: string;
  who?: string;
  at?: string;
  comment?: string | null;
  tone: "done" | "negative" | "waiting";
  kind?: "question" | "answer" | "extension";
}

const endTitles: Record<string, string> = {
  revoked: "Access revoked",
  canceled: "Request canceled",
  completed: "Access ended",
  expired: "Expired without a decision",
};

function stepsOf(r: AccessRequest): Step[] {
  const steps: Step[] = [{ title: "Requested", who: r.requester.name, at: r.createdAt, tone: "done" }];
  const m = r.managerDecision;
  if (m) steps.push({ title: m.decision === "approve" ? "Approved by provider manager" : "Rejected by provider manager", who: m.by.name, at: m.at, comment: m.comment, tone: m.decision === "approve" ? "done" : "negative" });
  else if (r.status === "pending_manager") steps.push({ title: "Waiting for a provider manager", tone: "waiting" });
  for (const a of r.approvals) steps.push({ title: "Approved by customer", who: a.by.name, at: a.at, comment: a.comment, tone: "done" });
  const c = r.customerDecision;
  if (c && c.decision !== "approve") steps.push({ title: "Denied by customer", who: c.by.name, at: c.at, comment: c.comment, tone: "negative" });
  if (r.status === "pending_customer") {
    const need = (r.requiredApprovals ?? 1) - r.approvals.length;
    steps.push({ title: `Waiting for ${need} customer approval${need === 1 ? "" : "s"}`, tone: "waiting" });
  }
  if (r.accessStartsAt) steps.push({ title: "Access granted", at: r.accessStartsAt, tone: "done" });
  const title = r.endReason === "released" ? "Access released early" : endTitles[r.status];
  if (title && (r.endedAt || r.status === "expired")) {
    steps.push({ title, who: r.endedBy?.name, at: r.endedAt ?? undefined, comment: r.endComment ?? null, tone: r.status === "revoked" ? "negative" : "done" });
  }
  // Questions and extensions (SPEC 17) interleave with the decisions by time; "waiting" steps stay last.
  for (const q of r.questions ?? []) {
    steps.push({ title: "Question from the customer", who: q.askedBy.name, at: q.askedAt, comment: q.text, tone: "done", kind: "question" });
    if (q.answer !== null) steps.push({ title: "Answered by the requester", who: q.answeredBy?.name, at: q.answeredAt ?? undefined, comment: q.answer, tone: "done", kind: "answer" });
    else steps.push({ title: "Waiting for the requester's answer", tone: "waiting", kind: "question" });
  }
  for (const e of r.extensions ?? []) {
    steps.push({ title: `Extension of ${formatMinutes(e.minutes)} asked`, who: e.requestedBy.name, at: e.requestedAt, comment: e.reason, tone: "done", kind: "extension" });
    for (const a of e.approvals.slice(0, e.status === "approved" ? -1 : undefined)) {
      steps.push({ title: "Extension approved by customer", who: a.by.name, at: a.at, comment: a.comment, tone: "done", kind: "extension" });
    }
    if (e.decision) {
      const approved = e.decision.decision === "approve";
      steps.push({
        title: approved ? `Extension approved: access until ${formatTime(e.accessEndsAt ?? "")}` : "Extension denied by customer",
        who: e.decision.by.name,
        at: e.decision.at,
        comment: e.decision.comment,
        tone: approved ? "done" : "negative",
        kind: "extension",
      });
    } else if (e.status === "pending") steps.push({ title: "Extension waits for the customer", tone: "waiting", kind: "extension" });
    else if (e.status === "expired") steps.push({ title: "Extension not decided before access ended", tone: "negative", kind: "extension" });
  }
  const timed = steps.filter((s) => s.at).sort((a, b) => a.at!.localeCompare(b.at!));
  return [...timed, ...steps.filter((s) => !s.at)];
}

/** What happened to the request so far, oldest first, with the real names of the deciders. */
export function RequestTimeline({ request }: { request: AccessRequest }) {
  return (
    <ol className="timeline">
      {stepsOf(request).map((s, i) => (
        <li key={i} className={`timeline-step timeline-${s.tone}`} data-kind={s.kind}>
          <span className="timeline-dot" aria-hidden="true" />
          <div>
            <p className="timeline-title">{s.title}</p>
            <p className="muted small">
              {s.who && <span>{s.who}</span>}
              {s.who && s.at && " · "}
              {s.at && <LocalTime iso={s.at} />}
            </p>
            {s.comment && <blockquote className="comment">“{s.comment}”</blockquote>}
          </div>
        </li>
      ))}
    </ol>
  );
}
