import { newId } from "../ids.js";
import type { Insertable } from "kysely";
import type { AuditEventTable, Tx } from "../db/schema.js";
import { isPostgres } from "../db/dialect.js";
import {
  type AuditActor,
  type AuditDetails,
  type AuditEvent,
  type AuditTarget,
  assertNoFloats,
  GENESIS_HASH,
} from "./audit-event.js";
import { sha256Hex } from "../ids.js";
import { appendLeaf, leafHash, type TreeNode } from "./merkle.js";
import { canonicalEvent, catchUpTree, FLUSH_NODES, formatFrontier, formatPending, insertNodes, parseFrontier, parsePending } from "./merkle-store.js";

export interface AuditEntry {
  /** The event's id when the caller needs it before the append (a request step's listeners); new otherwise. */
  id?: string;
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
 *
 * The chain's Merkle tree grows in the same transaction: the head row carries the tree's right
 * edge (its frontier) and the completed nodes not yet written, so an append reads no node and
 * writes them to merkle_nodes in one statement every ~16 events (see appendLeaf, FLUSH_NODES).
 */
export async function appendAudit(trx: Tx, entry: AuditEntry): Promise<AuditEvent> {
  const [event] = await appendAuditEvents(trx, entry.chain, [entry]);
  return event!;
}

/** Rows per multi-row INSERT: 12 parameters a row keeps a statement far below SQLite's 32766
 * variables and PostgreSQL's 65535 parameters. */
const EVENTS_PER_INSERT = 500;

/**
 * Appends events to one chain, in the order given, locking its head once: one head read, one
 * multi-row insert per 500 events, the Merkle nodes they complete, one head update. This is the
 * one way events are appended (`appendAudit` is the batch of one), so the hash chain and the tree
 * are maintained by one piece of code. Every entry's `chain` must be `chain`.
 */
export async function appendAuditEvents(trx: Tx, chain: string, entries: readonly AuditEntry[]): Promise<AuditEvent[]> {
  if (entries.length === 0) return [];
  for (const entry of entries) {
    if (entry.chain !== chain) throw new Error(`appendAuditEvents: entry for ${entry.chain} in a batch for ${chain}`);
    assertNoFloats(entry.details ?? {});
  }
  const readHead = () => {
    const q = trx.selectFrom("audit_heads").select(["seq", "hash", "tree_size", "tree_frontier", "tree_pending"]).where("chain", "=", chain);
    return (isPostgres(trx) ? q.forUpdate() : q).executeTakeFirst();
  };
  let head = await readHead();
  if (!head) {
    // Seq 0 with the genesis hash stands for an empty chain; creating it first means a new chain
    // is locked like any other (a writer racing to create it waits on the key, then reads it).
    // Only for a new chain: the hot path is one read of an existing head.
    await trx
      .insertInto("audit_heads")
      .values({ chain, seq: 0, hash: GENESIS_HASH })
      .onConflict((oc) => oc.column("chain").doNothing())
      .execute();
    head = await readHead();
    if (!head) throw new Error(`audit chain ${chain} has no head`);
  }
  if (Number(head.tree_size) !== Number(head.seq)) {
    // Events appended by an instance older than the tree (rolling upgrade): add them first.
    await catchUpTree(trx, chain);
    head = (await readHead())!;
  }

  let seq = Number(head.seq);
  let prevHash = head.hash;
  let frontier = parseFrontier(head.tree_frontier);
  const nodes: TreeNode[] = parsePending(head.tree_pending);
  const events: AuditEvent[] = [];
  const rows: Insertable<AuditEventTable>[] = [];
  for (const entry of entries) {
    const actor: AuditActor = { type: entry.actor.type, id: entry.actor.id, name: entry.actor.name };
    if (entry.actor.ip) actor.ip = entry.actor.ip;
    const unsealed = {
      chain,
      seq: seq + 1,
      id: entry.id ?? newId(),
      at: entry.at.toISOString(),
      operation: entry.operation,
      actor,
      target: { type: entry.target.type, id: entry.target.id },
      details: entry.details ?? {},
      prevHash,
    };
    // The leaf data is exactly the bytes whose SHA-256 is the event's hash (hashEvent's input).
    const canonical = canonicalEvent(unsealed);
    const event: AuditEvent = { ...unsealed, hash: sha256Hex(canonical) };
    const tree = appendLeaf(frontier, seq, leafHash(Buffer.from(canonical)));
    frontier = tree.frontier;
    nodes.push(...tree.nodes);
    seq = event.seq;
    prevHash = event.hash;
    events.push(event);
    rows.push({
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
    });
  }

  for (let i = 0; i < rows.length; i += EVENTS_PER_INSERT) {
    await trx.insertInto("audit_events").values(rows.slice(i, i + EVENTS_PER_INSERT)).execute();
  }
  // Completed nodes wait on the head row and go to merkle_nodes FLUSH_NODES at a time: one
  // statement every ~16 events instead of one every other event.
  const flush = nodes.length >= FLUSH_NODES;
  if (flush) await insertNodes(trx, chain, nodes);
  await trx
    .updateTable("audit_heads")
    .set({ seq, hash: prevHash, tree_size: seq, tree_frontier: formatFrontier(frontier), tree_pending: flush ? "" : formatPending(nodes) })
    .where("chain", "=", chain)
    .execute();
  return events;
}
