import {
  type DecisionAssertion,
  type DecisionStatement,
  reasonSha256,
  statementAgeProblem,
  statementDigest,
  type SignedDecisionKind,
} from "../approvals/decision-statement.js";
import type { AuditEvent } from "./audit-event.js";
import { checkAssertion, type PasskeyKey, statementShapeProblem } from "./check-signed-assertion.js";

/**
 * Offline proof of the decisions a tenant's approvers signed with their passkeys (SPEC 15), from
 * an audit export alone: pure, node:crypto only, so `lockbox audit verify`, the SDK and the
 * gateway share it. Nothing here trusts the server: each key comes from the `user.passkey_registered`
 * event earlier in the same chain, and each statement is compared with the facts the chain recorded.
 */

export interface SignedDecisionFault {
  seq: number;
  reason: string;
}

interface RequestFacts {
  requesterId: string;
  requesterEmail?: string;
  ticket: string;
  reason: string;
  services: string[];
  accessLevel: string;
  requestedMinutes: number;
  /** The minutes each signed approval agreed to, by approver. */
  approvals: Map<string, { minutes: number; digest: string; statement: DecisionStatement }>;
  approved: boolean;
  /** The access's total minutes: the final grant's, plus each extension approved since. */
  totalMinutes?: number;
  /** The total the last extension approved with every approval signed allows (none: the approvals' own minutes). */
  signedMinutes?: number;
  /** Each requested extension: its minutes, approvals needed, who signed its approval. */
  extensions: Map<string, { minutes: number; required: number; signers: Set<string> }>;
  /** Digests of the signed extension approvals, named in `apv` with the approvals'. */
  extensionDigests: string[];
  /** From the manager's approval that sent the request to the customer. */
  requiredApprovals?: number;
}

const decisionOf: Record<string, SignedDecisionKind> = {
  "request.approved": "approve",
  "request.denied": "deny",
  "request.revoked": "revoke",
  "request.extension_approved": "extend",
  "request.extension_denied": "extend_deny",
};

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Follows one tenant chain event by event (feed it after the hash chain checked the event) and
 * returns the first signed decision that does not prove itself, naming its seq:
 * - each signed decision: its passkey was registered earlier in this chain by the approver and not
 *   removed since; the challenge is the statement's hash; the statement is this decision, by this
 *   actor, on the facts `request.created` recorded, with the minutes the event records; UP and UV
 *   are set; the RP id hash matches; the signature verifies; and it is at most 5 minutes old;
 * - while `requireSignedApprovals` is on (per `tenant.settings_changed` in the chain): every
 *   customer approval and denial is signed, and a grant token is issued only for a request this
 *   chain shows approved, with `apv` naming exactly its signed approvals.
 */
export class SignedDecisionVerifier {
  constructor(private readonly options: { rpId?: string } = {}) {}

  private readonly keys = new Map<string, PasskeyKey>();
  private readonly requests = new Map<string, RequestFacts>();
  private required = false;
  count = 0;

  push(event: AuditEvent): SignedDecisionFault | undefined {
    const d = (event.details ?? {}) as Record<string, any>;
    const fault = (reason: string) => ({ seq: event.seq, reason });
    switch (event.operation) {
      case "user.passkey_registered":
        if (typeof d.credentialId === "string" && d.publicKey && typeof d.publicKey === "object") {
          this.keys.set(d.credentialId, {
            credentialId: d.credentialId,
            userId: event.actor.id,
            jwk: d.publicKey,
            algorithm: Number(d.algorithm),
            registeredSeq: event.seq,
          });
        }
        return undefined;
      case "user.passkey_removed": {
        const key = typeof d.credentialId === "string" ? this.keys.get(d.credentialId) : undefined;
        if (key && key.removedSeq === undefined) key.removedSeq = event.seq;
        return undefined;
      }
      case "tenant.settings_changed": {
        const change = d.changes?.requireSignedApprovals;
        if (change && typeof change.to === "boolean") this.required = change.to;
        return undefined;
      }
      case "request.created":
        this.requests.set(event.target.id, {
          requesterId: event.actor.id,
          ...(typeof d.requesterEmail === "string" ? { requesterEmail: d.requesterEmail } : {}),
          ticket: String(d.ticket),
          reason: String(d.reason),
          services: Array.isArray(d.services) ? [...(d.services as string[])].sort() : [],
          accessLevel: String(d.accessLevel),
          requestedMinutes: Number(d.requestedMinutes),
          approvals: new Map(),
          approved: false,
          extensions: new Map(),
          extensionDigests: [],
        });
        return undefined;
      case "request.extension_requested": {
        const facts = this.requests.get(event.target.id);
        if (facts && typeof d.extensionId === "string") {
          facts.extensions.set(d.extensionId, { minutes: Number(d.minutes), required: Math.max(1, Number(d.requiredApprovals) || 1), signers: new Set() });
        }
        return undefined;
      }
      case "request.token_issued":
        return this.checkTokenIssued(event, d, fault);
      default:
        break;
    }
    const kind = decisionOf[event.operation];
    if (kind === undefined) {
      const facts = event.target.type === "request" ? this.requests.get(event.target.id) : undefined;
      if (facts && d.status === "approved") {
        facts.approved = true;
        if (facts.totalMinutes === undefined && Number.isSafeInteger(d.grantedMinutes)) facts.totalMinutes = d.grantedMinutes;
      }
      if (facts && event.operation === "request.manager_approved" && Number.isSafeInteger(d.requiredApprovals)) facts.requiredApprovals = d.requiredApprovals;
      return undefined;
    }
    if (d.signed === undefined) {
      // Revokes may come from provider staff, who never sign; approvals and denials are the customer's.
      if (this.required && kind !== "revoke") return fault(`customer ${event.operation} without a passkey signature while requireSignedApprovals is on`);
      if (kind === "approve" && d.final === true) this.markApproved(event, d);
      if (kind === "extend" && d.final === true) this.extended(event, d);
      return undefined;
    }
    const problem = this.checkSigned(event, kind, d);
    if (problem) return fault(problem);
    this.count += 1;
    return undefined;
  }

  /** The request's verified signed approvals so far, and how many the manager's approval required. */
  approvalsOf(
    requestId: string,
  ): { statements: DecisionStatement[]; digests: string[]; requiredApprovals: number | undefined; minutes: number } | undefined {
    const facts = this.requests.get(requestId);
    if (!facts) return undefined;
    const approvals = [...facts.approvals.values()];
    return {
      statements: approvals.map((a) => a.statement),
      digests: this.digestsOf(facts),
      requiredApprovals: facts.requiredApprovals,
      // The grant runs no longer than every approver signed for, or than a fully signed extension's total.
      minutes: facts.signedMinutes ?? Math.min(...approvals.map((a) => a.minutes)),
    };
  }

  private digestsOf(facts: RequestFacts): string[] {
    return [...[...facts.approvals.values()].map((a) => a.digest), ...facts.extensionDigests].sort();
  }

  private markApproved(event: AuditEvent, d: Record<string, any>) {
    const facts = this.requests.get(event.target.id);
    if (!facts) return;
    facts.approved = true;
    if (Number.isSafeInteger(d.grantedMinutes)) facts.totalMinutes = d.grantedMinutes;
  }

  /** A final extension approval: the total moves; the signed total too when all its approvals were signed. */
  private extended(event: AuditEvent, d: Record<string, any>) {
    const facts = this.requests.get(event.target.id);
    const ext = facts?.extensions.get(String(d.extensionId));
    if (!facts || !ext || facts.totalMinutes === undefined) return;
    facts.totalMinutes += ext.minutes;
    if (ext.signers.size >= ext.required) facts.signedMinutes = facts.totalMinutes;
  }

  private checkSigned(event: AuditEvent, kind: SignedDecisionKind, d: Record<string, any>): string | undefined {
    const shape = statementShapeProblem(d.signed);
    if (shape) return shape;
    const statement = d.signed.statement as DecisionStatement;
    const assertion = d.signed.assertion as DecisionAssertion;
    if (statement.decision !== kind) return `the statement signs "${statement.decision}", the event records ${event.operation}`;
    if (statement.requestId !== event.target.id) return `the statement is for request ${statement.requestId}, the event for ${event.target.id}`;
    if (`tenant:${statement.tenantId}` !== event.chain) return `the statement is for tenant ${statement.tenantId}, not this chain's`;
    if (statement.approver.id !== event.actor.id) return "the statement names another approver than the event's actor";
    const facts = this.requests.get(event.target.id);
    if (!facts) return `request ${event.target.id} has no request.created earlier in this chain`;
    const mismatch = factsMismatch(statement, facts);
    if (mismatch) return `the statement's ${mismatch} differs from request.created`;
    const age = statementAgeProblem(statement.issuedAt, new Date(event.at));
    if (age) return age;

    const ext = kind === "extend" || kind === "extend_deny" ? facts.extensions.get(String(statement.extensionId)) : undefined;
    if (kind === "extend" || kind === "extend_deny") {
      if (statement.extensionId !== d.extensionId) return `the statement is for extension ${statement.extensionId}, the event for ${String(d.extensionId)}`;
      if (!ext) return `extension ${statement.extensionId} has no request.extension_requested earlier in this chain`;
      if (facts.totalMinutes === undefined) return "the extended request has no granted minutes earlier in this chain";
      const total = facts.totalMinutes + ext.minutes;
      if (statement.grantedMinutes !== total) return `the statement's ${statement.grantedMinutes} minutes are not the extended total of ${total}`;
      if (kind === "extend" && ext.signers.has(statement.approver.id)) return "a second signed extension approval by the same approver";
    }

    if (kind === "approve") {
      if (statement.grantedMinutes > facts.requestedMinutes) return "the statement grants more minutes than were requested";
      const recorded = d.grantedMinutes;
      if (d.final === true) {
        if (!Number.isSafeInteger(recorded)) return "the final approval records no grantedMinutes";
        // The grant runs for the fewest minutes any approver agreed to: never more than one signed.
        if (recorded > statement.grantedMinutes) return `the grant's ${recorded} minutes exceed the signed ${statement.grantedMinutes}`;
        for (const [, a] of facts.approvals) if (recorded > a.minutes) return `the grant's ${recorded} minutes exceed an earlier signed ${a.minutes}`;
      } else if (recorded !== statement.grantedMinutes) {
        return `the event records ${String(recorded)} minutes, the statement ${statement.grantedMinutes}`;
      }
      if (facts.approvals.has(statement.approver.id)) return "a second signed approval by the same approver";
    }

    const key = this.keys.get(assertion.credentialId);
    if (!key) return `passkey ${assertion.credentialId} is not registered earlier in this chain`;
    if (key.userId !== event.actor.id) return `passkey ${assertion.credentialId} was registered by another user (seq ${key.registeredSeq})`;
    if (key.removedSeq !== undefined) return `passkey ${assertion.credentialId} was removed at seq ${key.removedSeq}, before this decision`;
    const digest = statementDigest(statement);
    const bad = checkAssertion(statement, assertion, key, this.options.rpId, digest);
    if (bad) return bad;

    if (kind === "approve") {
      facts.approvals.set(statement.approver.id, { minutes: statement.grantedMinutes, digest, statement });
      if (d.final === true) this.markApproved(event, d);
    }
    if (kind === "extend" && ext) {
      ext.signers.add(statement.approver.id);
      facts.extensionDigests.push(digest);
      if (d.final === true) this.extended(event, d);
    }
    return undefined;
  }

  private checkTokenIssued(event: AuditEvent, d: Record<string, any>, fault: (r: string) => SignedDecisionFault) {
    const facts = this.requests.get(event.target.id);
    if (Array.isArray(d.apv)) {
      const signed = facts ? this.digestsOf(facts) : [];
      if (!sameList([...(d.apv as string[])].sort(), signed)) return fault("the token's apv does not name exactly the request's signed approvals");
    }
    if (!this.required) return undefined;
    if (!facts) return fault(`request ${event.target.id} has no request.created earlier in this chain`);
    if (!facts.approved) return fault(`a grant token was issued for request ${event.target.id}, which this chain never shows approved`);
    return undefined;
  }
}

function factsMismatch(s: DecisionStatement, f: RequestFacts): string | undefined {
  if (s.requester.id !== f.requesterId) return "requester";
  if (f.requesterEmail !== undefined && s.requester.email !== f.requesterEmail) return "requester email";
  if (s.ticket !== f.ticket) return "ticket";
  if (s.reasonSha256 !== reasonSha256(f.reason)) return "reason";
  if (!sameList(s.services, f.services)) return "services";
  if (s.accessLevel !== f.accessLevel) return "access level";
  return undefined;
}
