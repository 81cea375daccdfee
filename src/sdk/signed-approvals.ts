import { type AuditEvent, hashEvent } from "../audit/audit-event.js";
import { SignedDecisionVerifier } from "../audit/verify-signed-decisions.js";
import type { DecisionStatement } from "../approvals/decision-statement.js";

/** What the evidence of one request proved: its signed approvals, verified once per request id. */
export interface ProvenApprovals {
  requestId: string;
  tenant: string;
  statements: DecisionStatement[];
  digests: string[];
  requiredApprovals: number;
  /** The longest the grant may run: what every approver signed, or a fully signed extension's total (SPEC 17). */
  minutes: number;
}

export interface Evidence {
  request: { id: string; tenantId: string };
  chain: { name: string; events: AuditEvent[] };
}

/**
 * Checks `GET /v1/requests/{id}/evidence` without trusting the server that sent it (SPEC 15):
 * each event must hash to its own `hash`; then the events run through the same verifier as
 * `lockbox audit verify` — keys from their registration events, by the approver, not removed
 * before; statements on the facts of `request.created`; challenge, UP, UV, RP id and signature —
 * and there must be at least as many signed approvals as the manager's approval required (one at
 * least). Returns what was proven, or throws with the reason.
 */
export function proveApprovals(evidence: Evidence, requestId: string, tenant: string, rpId?: string): ProvenApprovals {
  if (evidence?.request?.id !== requestId || evidence.request.tenantId !== tenant) throw new Error("the evidence is for another request");
  if (evidence.chain?.name !== `tenant:${tenant}` || !Array.isArray(evidence.chain.events)) throw new Error("the evidence holds no chain of this tenant");
  const verifier = new SignedDecisionVerifier(rpId ? { rpId } : {});
  let lastSeq = 0;
  for (const event of evidence.chain.events) {
    if (event.chain !== evidence.chain.name || !(event.seq > lastSeq)) throw new Error("the evidence's events are not one chain in order");
    lastSeq = event.seq;
    const { hash, ...unsealed } = event;
    if (hashEvent(unsealed) !== hash) throw new Error(`event seq ${event.seq} does not match its hash`);
    const fault = verifier.push(event);
    if (fault) throw new Error(`seq ${fault.seq}: ${fault.reason}`);
  }
  const approvals = verifier.approvalsOf(requestId);
  if (!approvals) throw new Error("the evidence lacks the request's creation");
  const required = Math.max(1, approvals.requiredApprovals ?? 1);
  if (approvals.statements.length < required) {
    throw new Error(`${approvals.statements.length} signed approvals, ${required} required`);
  }
  return { requestId, tenant, statements: approvals.statements, digests: approvals.digests, requiredApprovals: required, minutes: approvals.minutes };
}

const sorted = (v: readonly string[]) => [...v].sort();

/**
 * The grant token must be what the proven approvals allow: `apv` names exactly their statements,
 * and every statement agreed to this requester, these services, this access level, and at least
 * this many minutes. Returns the problem, if any.
 */
export function grantMatchesApprovals(
  claims: { sub: string; services: string[]; access: string; nbf?: unknown; exp: number; apv?: unknown },
  proven: ProvenApprovals,
): string | undefined {
  if (!Array.isArray(claims.apv) || !claims.apv.every((d) => typeof d === "string")) return "the grant token carries no apv";
  const apv = sorted(claims.apv as string[]);
  if (apv.length !== proven.digests.length || apv.some((d, i) => d !== proven.digests[i])) return "the token's apv does not match the signed approvals";
  const services = sorted(claims.services);
  const seconds = typeof claims.nbf === "number" ? claims.exp - claims.nbf : Infinity;
  for (const s of proven.statements) {
    if (s.requester.id !== claims.sub) return "a signed approval names another requester";
    if (s.services.length !== services.length || s.services.some((v, i) => v !== services[i])) return "the token's services differ from what was signed";
    if (s.accessLevel !== claims.access) return "the token's access level differs from what was signed";
  }
  if (seconds > proven.minutes * 60) return "the token runs longer than a signed approval allows";
  return undefined;
}
