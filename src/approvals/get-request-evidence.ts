import { type AuditEvent, tenantChain } from "../audit/audit-event.js";
import { toAuditEvent } from "../audit/audit-queries.js";
import { cosignedNote, latestNote } from "../audit/log-checkpoints.js";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import type { User } from "../identity/roles.js";
import { findVisibleRequest } from "../requests/request-queries.js";
import type { DecisionAssertion, DecisionStatement } from "./decision-statement.js";

export interface RequestEvidence {
  request: { id: string; tenantId: string; status: string; requiredApprovals: number | null; grantedMinutes: number | null };
  decisions: {
    seq: number;
    at: string;
    statement: DecisionStatement;
    assertion: DecisionAssertion;
    passkey: { credentialId: string; jwk: Record<string, unknown>; algorithm: number; registeredSeq: number | null };
  }[];
  chain: { name: string; events: AuditEvent[] };
  checkpoint: string | null;
}

/**
 * Everything an enforcement point needs to check a grant's signed approvals without trusting
 * this server (SPEC 15): the signed decisions, the passkey each names as the chain recorded it,
 * and the chain events themselves (the request's, and the registration and removal of each key
 * used), with the latest signed checkpoint to prove them against. The server judges nothing
 * here; it hands over what its chain says. `user` is null for a service credential (any request).
 */
export async function getRequestEvidence(deps: Deps, user: User | null, id: string): Promise<RequestEvidence> {
  const db = deps.db;
  const row = user
    ? await findVisibleRequest(db, user, id)
    : await db.selectFrom("access_requests").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound("request");
  const chain = tenantChain(row.tenant_id);
  const requestEvents = (
    await db.selectFrom("audit_events").selectAll().where("chain", "=", chain).where("request_id", "=", id).orderBy("seq").execute()
  ).map(toAuditEvent);
  const signed = requestEvents.filter((e) => e.details.signed && typeof e.details.signed === "object");
  // Every registration and removal in the chain, not only the approvers': a key registered by
  // someone else but used by an approver must show up as such. Passkey events are few per tenant.
  const keyEvents = signed.length
    ? (
        await db
          .selectFrom("audit_events")
          .selectAll()
          .where("chain", "=", chain)
          .where("operation", "in", ["user.passkey_registered", "user.passkey_removed"])
          .orderBy("seq")
          .execute()
      ).map(toAuditEvent)
    : [];

  const usedKeys = new Set<string>();
  const decisions = signed.map((e) => {
    const { statement, assertion } = e.details.signed as { statement: DecisionStatement; assertion: DecisionAssertion };
    usedKeys.add(assertion.credentialId);
    const registered = keyEvents.find((k) => k.operation === "user.passkey_registered" && k.details.credentialId === assertion.credentialId);
    return {
      seq: e.seq,
      at: e.at,
      statement,
      assertion,
      passkey: {
        credentialId: assertion.credentialId,
        jwk: (registered?.details.publicKey ?? {}) as Record<string, unknown>,
        algorithm: Number(registered?.details.algorithm ?? 0),
        registeredSeq: registered?.seq ?? null,
      },
    };
  });
  const events = [...requestEvents, ...keyEvents.filter((k) => usedKeys.has(String(k.details.credentialId)))].sort((a, b) => a.seq - b.seq);
  const note = await latestNote(db, chain);
  return {
    request: {
      id: row.id,
      tenantId: row.tenant_id,
      status: row.status,
      requiredApprovals: row.required_approvals,
      grantedMinutes: row.granted_minutes,
    },
    decisions,
    chain: { name: chain, events },
    checkpoint: note ? await cosignedNote(db, note) : null,
  };
}
