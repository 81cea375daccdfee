import { startAuthentication } from "@simplewebauthn/browser";
import { useEffect, useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest } from "../../api/types";
import { ErrorAlert, Loading } from "../../ui/alerts";
import { ConfirmDialog } from "../../ui/confirm-dialog";
import { formatMinutes } from "../../ui/format";
import type { DecisionAssertion, DecisionStatement } from "../../../../src/approvals/decision-types.js";

export type SignedVerb = "approve" | "deny" | "revoke";

/** What a signed decision adds to the decision's body (SPEC 15). */
export interface SignedDecisionBody {
  statement: DecisionStatement;
  assertion: DecisionAssertion;
}

interface StatementAnswer {
  statement: DecisionStatement;
  canonical: string;
  challenge: string;
}

const titles: Record<SignedVerb, string> = {
  approve: "Sign your approval",
  deny: "Sign your denial",
  revoke: "Sign the revocation",
};
const verbs: Record<SignedVerb, string> = { approve: "approve", deny: "deny", revoke: "revoke" };

/**
 * Signing a decision with a passkey (tenants with requireSignedApprovals): the server's statement
 * is shown term by term — exactly what the passkey signs — before the browser's passkey prompt;
 * the assertion's challenge is the statement's hash, so what is shown is what is signed. The
 * statement is fetched when the dialog opens and is good for 5 minutes.
 */
export function SignedDecisionDialog({
  request,
  verb,
  grantedMinutes,
  onSigned,
  onCancel,
}: {
  request: AccessRequest;
  /** null: closed. */
  verb: SignedVerb | null;
  grantedMinutes?: number;
  onSigned: (body: SignedDecisionBody) => Promise<void>;
  onCancel: () => void;
}) {
  const [answer, setAnswer] = useState<StatementAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setAnswer(null);
    setError(null);
    if (!verb) return;
    const minutes = verb === "approve" && grantedMinutes ? `&grantedMinutes=${grantedMinutes}` : "";
    let live = true;
    api
      .get<StatementAnswer>(`/v1/requests/${encodeURIComponent(request.id)}/statement?decision=${verb}${minutes}`)
      .then((a) => live && setAnswer(a))
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [request.id, verb, grantedMinutes]);

  const sign = async () => {
    if (!answer) return;
    setBusy(true);
    setError(null);
    try {
      const response = await startAuthentication({
        optionsJSON: { challenge: answer.challenge, rpId: window.location.hostname, userVerification: "required", timeout: 5 * 60_000 },
      });
      await onSigned({
        statement: answer.statement,
        assertion: {
          credentialId: response.id,
          authenticatorData: response.response.authenticatorData,
          clientDataJSON: response.response.clientDataJSON,
          signature: response.response.signature,
        },
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const s = answer?.statement;
  return (
    <ConfirmDialog
      open={verb !== null}
      title={verb ? titles[verb] : ""}
      confirmLabel={verb ? `Sign with passkey and ${verbs[verb]}` : ""}
      danger={verb !== "approve"}
      busy={busy || !answer}
      onConfirm={() => void sign()}
      onCancel={onCancel}
    >
      <ErrorAlert error={error} title="Nothing was signed" />
      {!s && !error && <Loading label="Preparing the statement…" />}
      {s && (
        <>
          <p>Your passkey signs exactly these terms. Check them before you continue.</p>
          <dl className="facts" aria-label="What you sign">
            <dt>Decision</dt>
            <dd>{s.decision}</dd>
            <dt>Ticket</dt>
            <dd>{s.ticket}</dd>
            <dt>Services</dt>
            <dd>{s.services.join(", ")}</dd>
            <dt>Access level</dt>
            <dd>{s.accessLevel}</dd>
            <dt>Duration</dt>
            <dd>{formatMinutes(s.grantedMinutes)}</dd>
            <dt>Requester</dt>
            <dd>{s.requester.email}</dd>
            <dt>Signed by</dt>
            <dd>{s.approver.email}</dd>
          </dl>
          <details>
            <summary>The exact statement</summary>
            <pre className="small" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>{answer.canonical}</pre>
          </details>
        </>
      )}
    </ConfirmDialog>
  );
}
