import { useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest } from "../../api/types";
import { ErrorAlert } from "../../ui/alerts";
import { SelectField, TextArea } from "../../ui/fields";
import { formatMinutes } from "../../ui/format";
import { isFinalApproval, type RequestAction } from "./request-rules";

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

function shorterDurations(requested: number): number[] {
  return [15, 30, 60, 120, 240, 480].filter((m) => m < requested);
}

/**
 * The decision: an optional comment that goes into the audit log, then one button per allowed
 * step. Whatever the server answers (including "someone else decided first") is shown here.
 */
export function DecisionPanel({
  request,
  actions,
  onDone,
  idPrefix = "decision",
}: {
  request: AccessRequest;
  actions: RequestAction[];
  onDone: (updated: AccessRequest) => void;
  idPrefix?: string;
}) {
  const [comment, setComment] = useState("");
  const [minutes, setMinutes] = useState("");
  const [busy, setBusy] = useState<RequestAction | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (actions.length === 0) return null;

  const offerShorter = actions.includes("approve") && isFinalApproval(request) && shorterDurations(request.requestedMinutes).length > 0;
  const act = async (action: RequestAction) => {
    setBusy(action);
    setError(null);
    try {
      const body =
        action === "release"
          ? undefined
          : {
              ...(comment.trim() ? { comment: comment.trim() } : {}),
              ...(action === "approve" && minutes ? { grantedMinutes: Number(minutes) } : {}),
            };
      const updated = await api.post<AccessRequest>(`/v1/requests/${request.id}/${endpoint[action]}`, body);
      setComment("");
      onDone(updated);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="decision" aria-label="Decision">
      <ErrorAlert error={error} title="The request was not changed" />
      {!(actions.length === 1 && actions[0] === "release") && (
        <TextArea
          label="Comment"
          name={`${idPrefix}-comment`}
          rows={2}
          maxLength={2000}
          hint="Optional. Recorded in the audit log with your decision."
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
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
          <button key={a} type="button" className={`button ${style[a]}`} disabled={busy !== null} onClick={() => void act(a)}>
            {busy === a ? "Working…" : labels[a]}
          </button>
        ))}
      </div>
    </div>
  );
}
