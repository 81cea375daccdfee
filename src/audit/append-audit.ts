import { newId } from "../ids.js";
import type { Tx } from "../db/schema.js";
import { isPostgres } from "../db/dialect.js";
import {
  type AuditActor,
  type AuditDetails,
  type AuditEvent,
  type AuditTarget,
  assertNoFloats,
  GENESIS_HASH,
  hashEvent,
} from "./audit-event.js";

export interface AuditEntry {
  chain: string;
  at: Date;
  operation: string;
  actor: AuditActor;
  target: AuditTarget;
  details?: AuditDetails;
  /** Indexed for `GET /v1/audit?requestId=`; also put in details where the reader needs it. */
  requestId?: string;
}

/**
 * Appends one event to its chain. Must run inside the transaction that makes the change it
 * records, so the change and its audit commit or roll back together.
 *
 * The chain head row is the serialization point: on PostgreSQL `FOR UPDATE` holds other writers
 * to the same chain until this transaction ends, so a chain never forks or gaps; on SQLite the
 * single connection already serializes transactions. The unique (chain, seq) index is the
 * last line of defence either way.
 */
export async function appendAudit(trx: Tx, entry: AuditEntry): Promise<AuditEvent> {
  const details = entry.details ?? {};
  assertNoFloats(details);
  // Seq 0 with the genesis hash stands for an empty chain; creating it first means a new chain is
  // locked like any other.
  await trx
    .insertInto("audit_heads")
    .values({ chain: entry.chain, seq: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column("chain").doNothing())
    .execute();
  let headQuery = trx.selectFrom("audit_heads").select(["seq", "hash"]).where("chain", "=", entry.chain);
  if (isPostgres(trx)) headQuery = headQuery.forUpdate();
  const head = await headQuery.executeTakeFirstOrThrow();

  const actor: AuditActor = { type: entry.actor.type, id: entry.actor.id, name: entry.actor.name };
  if (entry.actor.ip) actor.ip = entry.actor.ip;
  const unsealed = {
    chain: entry.chain,
    seq: head.seq + 1,
    id: newId(),
    at: entry.at.toISOString(),
    operation: entry.operation,
    actor,
    target: { type: entry.target.type, id: entry.target.id },
    details,
    prevHash: head.hash,
  };
  const event: AuditEvent = { ...unsealed, hash: hashEvent(unsealed) };

  await trx
    .insertInto("audit_events")
    .values({
      chain: event.chain,
      seq: event.seq,
      id: event.id,
      at: event.at,
      operation: event.operation,
      actor: JSON.stringify(event.actor),
      actor_id: event.actor.id,
      target: JSON.stringify(event.target),
      request_id: entry.requestId ?? null,
      details: JSON.stringify(event.details),
      prev_hash: event.prevHash,
      hash: event.hash,
    })
    .execute();
  await trx.updateTable("audit_heads").set({ seq: event.seq, hash: event.hash }).where("chain", "=", entry.chain).execute();
  return event;
}
