import type { Work } from "../db/in-transaction.js";
import { AppError } from "../errors.js";
import type { Caller } from "../identity/roles.js";
import { advancePasskeyCounter, checkPasskeyAssertion } from "../identity/passkeys/verify-assertion.js";
import type { RequestRow } from "../requests/access-request.js";
import {
  buildStatement,
  type DecisionAssertion,
  type DecisionStatement,
  differingField,
  type SignedDecisionKind,
  statementAgeProblem,
  statementDigest,
} from "./decision-statement.js";
import type { SignedDecisionBody } from "./signed-decision-schemas.js";
import { type ExtensionTerms, extensionTotalMinutes } from "./extension-statement.js";
import { factsOfRow } from "./statement-facts.js";

/** What a verified decision stores in its audit event as `details.signed`. */
export interface SignedDecision {
  statement: DecisionStatement;
  assertion: DecisionAssertion;
  passkeyId: string;
}

const invalid = (message: string) => new AppError("signature_invalid", message);

/**
 * The one check a customer decision (approve, deny, revoke) makes on a tenant with
 * `requireSignedApprovals`: the body carries the statement and a passkey assertion over its hash;
 * the statement names this request's immutable facts, this decision, this approver and (for an
 * approval) the minutes granted, and is at most 5 minutes old; the assertion verifies with one of
 * the caller's registered passkeys, user verification included. Returns what the audit event
 * stores, or undefined when the tenant does not ask for signatures and none was sent.
 *
 * Runs inside the decision's transaction, before its compare-and-set: the passkey's counter moves
 * by compare-and-set too, so one assertion cannot be spent twice concurrently. A statement carries
 * no server-side state: it is rebuilt from the row and compared, so nothing needs storing between
 * GET …/statement and the decision.
 */
export async function verifySignedDecision(
  work: Work,
  caller: Caller,
  row: RequestRow,
  kind: "approve" | "deny" | "revoke",
  body: SignedDecisionBody & { grantedMinutes?: number },
  now: Date,
): Promise<SignedDecision | undefined> {
  if (!(await signatureSent(work, row, kind, body))) return undefined;
  const { statement } = body as { statement: DecisionStatement };
  if (kind === "approve" && body.grantedMinutes !== undefined && body.grantedMinutes !== statement.grantedMinutes) {
    throw invalid("grantedMinutes differs from the signed statement's");
  }
  const minutes = kind === "approve" ? statement.grantedMinutes : (row.granted_minutes ?? row.requested_minutes);
  if (kind === "approve" && minutes > row.requested_minutes) throw invalid(`the statement grants more than the ${row.requested_minutes} minutes requested`);
  const expected = buildStatement(factsOfRow(row), kind, minutes, caller.user, now);
  const field = differingField(statement, expected);
  if (field) throw invalid(`the signed statement's ${field} does not match this decision; fetch the statement again`);
  return verifyAssertion(work, caller, body as { statement: DecisionStatement; assertion: DecisionAssertion }, now);
}

/**
 * The same check for an extension's approve ("extend") or deny ("extend_deny") on a tenant with
 * `requireSignedApprovals` (SPEC 17: "same signing rules"): the statement names the extension and
 * the access's total minutes with it (see extensionTotalMinutes).
 */
export async function verifySignedExtension(
  work: Work,
  caller: Caller,
  row: RequestRow,
  ext: ExtensionTerms,
  kind: "extend" | "extend_deny",
  body: SignedDecisionBody,
  now: Date,
): Promise<SignedDecision | undefined> {
  if (!(await signatureSent(work, row, kind, body, ext.id))) return undefined;
  const { statement } = body as { statement: DecisionStatement };
  const expected = buildStatement(factsOfRow(row), kind, await extensionTotalMinutes(work.trx, row, ext), caller.user, now, ext.id);
  const field = differingField(statement, expected);
  if (field) throw invalid(`the signed statement's ${field} does not match this decision; fetch the statement again`);
  return verifyAssertion(work, caller, body as { statement: DecisionStatement; assertion: DecisionAssertion }, now);
}

/** Whether the body carries a signature; throws signature_required when the tenant wants one and none came. */
async function signatureSent(work: Work, row: RequestRow, kind: SignedDecisionKind, body: SignedDecisionBody, extensionId?: string): Promise<boolean> {
  if (body.statement && body.assertion) return true;
  if (body.statement || body.assertion) throw new AppError("signature_required", "send both statement and assertion");
  const tenant = await work.trx.selectFrom("tenants").select("require_signed_approvals").where("id", "=", row.tenant_id).executeTakeFirstOrThrow();
  if (tenant.require_signed_approvals !== 1) return false;
  const query = `decision=${kind}${extensionId ? `&extensionId=${extensionId}` : ""}`;
  throw new AppError("signature_required", `this tenant requires a passkey signature on every decision: sign GET /v1/requests/${row.id}/statement?${query} and send {statement, assertion}`);
}

/**
 * The statement's age and the passkey assertion over its hash. A verified assertion is a fresh
 * passkey verification with UV: when step-up deferred to it (caller.stepUpBySignature), it is the
 * decision's verification (SPEC 14), so the approver is asked once, not twice.
 */
async function verifyAssertion(
  work: Work,
  caller: Caller,
  { statement, assertion }: { statement: DecisionStatement; assertion: DecisionAssertion },
  now: Date,
): Promise<SignedDecision> {
  const { trx, deps } = work;
  const age = statementAgeProblem(statement.issuedAt, now);
  if (age) throw invalid(age);

  const passkey = await trx
    .selectFrom("passkeys")
    .selectAll()
    .where("credential_id", "=", assertion.credentialId)
    .where("user_id", "=", caller.user.id)
    .executeTakeFirst();
  if (!passkey) throw invalid("the assertion is not from one of your registered passkeys");
  const response = {
    id: assertion.credentialId,
    rawId: assertion.credentialId,
    type: "public-key" as const,
    response: { clientDataJSON: assertion.clientDataJSON, authenticatorData: assertion.authenticatorData, signature: assertion.signature },
    clientExtensionResults: {},
  };
  const newCounter = await checkPasskeyAssertion(deps.config, passkey, response, statementDigest(statement), invalid);
  await advancePasskeyCounter(trx, passkey, newCounter, now, invalid);
  if (caller.stepUpBySignature) {
    caller.verification = { method: "passkey", at: now.toISOString(), credentialId: assertion.credentialId };
    caller.stepUpBySignature = false;
  }
  return { statement, assertion, passkeyId: passkey.id };
}
