import { useId, useRef, useState } from "react";
import { api, ApiError } from "../../api/client";
import type { AccessRequest, TenantSettings } from "../../api/types";
import { useUser } from "../../app/session";
import { useQuery } from "../../app/use-query";
import { ErrorAlert } from "../../ui/alerts";
import { ConfirmDialog } from "../../ui/confirm-dialog";
import { SelectField } from "../../ui/fields";
import { formatMinutes } from "../../ui/format";
import { isFinalApproval, type RequestAction } from "./request-rules";
import { describeDone, describeState } from "./request-story";
import { type SignedDecisionBody, SignedDecisionDialog, type SignedVerb } from "./signed-decision-dialog";

const endpoint: Record<RequestAction, string> = {
  approve: "approve",
  deny: "deny",
  revoke: "revoke",
  cancel: "cancel",
  release: "complete",
};

const labels: Record<RequestAction, string> = {
  approve: "Approve",
  deny: "Deny",
  revoke: "Revoke",
  cancel: "Cancel request",
  release: "Release access",
};

const style: Record<RequestAction, string> = {
  approve: "button-primary",
  deny: "button-danger-outline",
  revoke: "button-danger",
  cancel: "button",
  release: "button",
};

/** Steps that cannot be undone ask first. */
const confirmText: Partial<Record<RequestAction, { title: string; body: string; button: string }>> = {
  deny: { title: "Deny this request?", body: "The engineer does not get access, and the request cannot be approved later.", button: "Yes, deny" },
  revoke: { title: "Revoke this access now?", body: "Access ends at once and the grant token stops working. This cannot be undone.", button: "Yes, revoke" },
};

function shorterDurations(requested: number): number[] {
  return [15, 30, 60, 120, 240, 480].filter((m) => m < requested);
}

/** What the page shows after an action: a confirmation, or why nothing changed. */
export interface DecisionOutcome {
  tone: "success" | "warning";
  message: string;
  /** The request as it is now (after the action, or re-read after a conflict). */
  request?: AccessRequest;
}

/**
 * The decision: a comment that goes into the audit log, then one button per allowed step. Deny
 * and revoke ask for confirmation, and need a comment when the customer requires one. When
 * someone else moved the request first (409), the request is re-read and its current state told
 * in a sentence.
 */
export function DecisionPanel({
  request,
  actions,
  onDone,
  idPrefix = "decision",
}: {
  request: AccessRequest;
  actions: RequestAction[];
  onDone: (outcome: DecisionOutcome) => void;
  idPrefix?: string;
}) {
  const user = useUser();
  const id = useId();
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const [comment, setComment] = useState("");
  const [minutes, setMinutes] = useState("");
  const [busy, setBusy] = useState<RequestAction | null>(null);
  const [confirming, setConfirming] = useState<RequestAction | null>(null);
  const [missingComment, setMissingComment] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The customer's rule binds the customer's own people only (the provider keeps its own policy).
  const needsSettings = user.tenantId !== null && (actions.includes("approve") || actions.includes("deny") || actions.includes("revoke"));
  const settings = useQuery(
    () => (needsSettings ? api.get<TenantSettings>(`/v1/tenants/${request.tenantId}/settings`).catch(() => undefined) : Promise.resolve(undefined)),
    [request.tenantId, needsSettings],
  );
  const [serverRequiresComment, setServerRequiresComment] = useState(false);
  const commentRequired = Boolean(settings.data?.requireDecisionComment) || serverRequiresComment;
  if (actions.length === 0) return null;

  const needsComment = (a: RequestAction) => commentRequired && (a === "deny" || a === "revoke");
  const offerShorter = actions.includes("approve") && isFinalApproval(request) && shorterDurations(request.requestedMinutes).length > 0;
  const showComment = !(actions.length === 1 && actions[0] === "release");

  // Signed approvals (SPEC 15): the customer's decisions go through the passkey signing dialog.
  const [signing, setSigning] = useState<SignedVerb | null>(null);
  const signs = (a: RequestAction): a is SignedVerb => Boolean(settings.data?.requireSignedApprovals) && user.tenantId !== null && (a === "approve" || a === "deny" || a === "revoke");

  const act = async (action: RequestAction, signed?: SignedDecisionBody) => {
    setBusy(action);
    setError(null);
    try {
      const body =
        action === "release"
          ? undefined
          : {
              ...(comment.trim() ? { comment: comment.trim() } : {}),
              ...(action === "approve" && minutes ? { grantedMinutes: Number(minutes) } : {}),
              ...(signed ?? {}),
            };
      const updated = await api.post<AccessRequest>(`/v1/requests/${request.id}/${endpoint[action]}`, body);
      setComment("");
      setConfirming(null);
      onDone({ tone: "success", message: describeDone(action, updated, user), request: updated });
    } catch (err) {
      setConfirming(null);
      if (err instanceof ApiError && err.status === 409) {
        // A stale page: someone decided first. Say what happened, in words, and show it.
        const now = await api.get<AccessRequest>(`/v1/requests/${request.id}`).catch(() => undefined);
        onDone({ tone: "warning", message: now ? `This request changed before your ${labels[action].toLowerCase()} went through. ${describeState(now, user)}` : `This request changed before your ${labels[action].toLowerCase()} went through.`, ...(now ? { request: now } : {}) });
      } else if (err instanceof ApiError && err.code === "comment_required") {
        setServerRequiresComment(true);
        setMissingComment(true);
        commentRef.current?.focus();
      } else {
        setError(err);
      }
    } finally {
      setBusy(null);
    }
  };

  const start = (action: RequestAction) => {
    if (needsComment(action) && !comment.trim()) {
      setMissingComment(true);
      commentRef.current?.focus();
      return;
    }
    setMissingComment(false);
    if (signs(action)) setSigning(action);
    else if (confirmText[action]) setConfirming(action);
    else void act(action);
  };

  const confirm = confirming ? confirmText[confirming] : undefined;
  const invalid = missingComment && !comment.trim();
  const requiredFor = actions.filter((a) => a === "deny" || a === "revoke").map((a) => labels[a].toLowerCase());
  return (
    <div className="decision" aria-label="Decision">
      <ErrorAlert error={error} title="The request was not changed" />
      {showComment && (
        <div className="field">
          <label htmlFor={`${id}-comment`}>{commentRequired && requiredFor.length > 0 ? `Comment (required to ${requiredFor.join(" or ")})` : "Comment"}</label>
          <textarea
            id={`${id}-comment`}
            ref={commentRef}
            name={`${idPrefix}-comment`}
            rows={2}
            maxLength={2000}
            aria-invalid={invalid}
            aria-describedby={`${id}-comment-hint`}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <p className={invalid ? "field-error" : "hint"} id={`${id}-comment-hint`} role={invalid ? "alert" : undefined}>
            {invalid
              ? `Write a comment: your organization asks for one to ${requiredFor.join(" or ")} a request.`
              : commentRequired && requiredFor.length > 0
                ? "Recorded in the audit log with your decision. Your organization requires it to deny or revoke."
                : "Optional. Recorded in the audit log with your decision."}
          </p>
        </div>
      )}
      {offerShorter && (
        <SelectField label="Access duration" value={minutes} onChange={(e) => setMinutes(e.target.value)} hint="You may grant less time than was asked for.">
          <option value="">As requested ({formatMinutes(request.requestedMinutes)})</option>
          {shorterDurations(request.requestedMinutes).map((m) => (
            <option key={m} value={m}>
              {formatMinutes(m)}
            </option>
          ))}
        </SelectField>
      )}
      <div className="button-row">
        {actions.map((a) => (
          <button key={a} type="button" className={`button ${style[a]}`} disabled={busy !== null} onClick={() => start(a)}>
            {busy === a && !confirmText[a] ? "Working…" : labels[a]}
          </button>
        ))}
      </div>
      <SignedDecisionDialog
        request={request}
        verb={signing}
        {...(signing === "approve" && minutes ? { grantedMinutes: Number(minutes) } : {})}
        onSigned={async (signed) => {
          const verb = signing!;
          setSigning(null);
          await act(verb, signed);
        }}
        onCancel={() => setSigning(null)}
      />
      <ConfirmDialog
        open={confirm !== undefined}
        title={confirm?.title ?? ""}
        confirmLabel={confirm?.button ?? ""}
        busy={busy !== null}
        onConfirm={() => confirming && void act(confirming)}
        onCancel={() => setConfirming(null)}
      >
        <p>
          {confirm?.body} Request {request.ticket}.
        </p>
        {comment.trim() ? <p className="muted small">Your comment: “{comment.trim()}”</p> : null}
      </ConfirmDialog>
    </div>
  );
}
