import type { Selectable } from "kysely";
import type { AuditEventTable, Queryable } from "../db/schema.js";
import { decodeCursor, type Page, toPage } from "../pagination.js";
import type { AuditActor, AuditEvent, AuditTarget } from "./audit-event.js";

export function toAuditEvent(row: Selectable<AuditEventTable>): AuditEvent {
  return {
    chain: row.chain,
    seq: Number(row.seq),
    id: row.id,
    at: row.at,
    operation: row.operation,
    actor: JSON.parse(row.actor) as AuditActor,
    target: JSON.parse(row.target) as AuditTarget,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditSearch {
  chain: string | null;
  from?: string;
  to?: string;
  operation?: string;
  actor?: string;
  requestId?: string;
  cursor?: string;
  limit: number;
}

/** Newest first, across chains when `chain` is null (provider admins only). */
export async function searchAudit(db: Queryable, q: AuditSearch): Promise<Page<AuditEvent>> {
  let query = db.selectFrom("audit_events").selectAll().orderBy("pos", "desc").limit(q.limit + 1);
  if (q.chain !== null) query = query.where("chain", "=", q.chain);
  if (q.from) query = query.where("at", ">=", q.from);
  if (q.to) query = query.where("at", "<", q.to);
  if (q.operation) {
    // "operator.*" style prefixes find a family of operations.
    query = q.operation.endsWith(".*")
      ? query.where("operation", "like", `${q.operation.slice(0, -1)}%`)
      : query.where("operation", "=", q.operation);
  }
  if (q.actor) query = query.where("actor_id", "=", q.actor);
  if (q.requestId) query = query.where("request_id", "=", q.requestId);
  if (q.cursor) {
    const [pos] = decodeCursor(q.cursor);
    query = query.where("pos", "<", Number(pos));
  }
  return toPage(await query.execute(), q.limit, toAuditEvent, (r) => [Number(r.pos)]);
}

/**
 * One chain, oldest first, read in bounded pages so an export of millions of events holds a
 * page in memory at a time and never holds the database connection between pages.
 */
export async function* readChain(
  db: Queryable,
  q: { chain: string; from?: string; to?: string },
  pageSize = 1000,
): AsyncGenerator<AuditEvent> {
  let after = 0;
  for (;;) {
    let query = db
      .selectFrom("audit_events")
      .selectAll()
      .where("chain", "=", q.chain)
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(pageSize);
    if (q.from) query = query.where("at", ">=", q.from);
    if (q.to) query = query.where("at", "<", q.to);
    const rows = await query.execute();
    for (const row of rows) yield toAuditEvent(row);
    if (rows.length < pageSize) return;
    after = Number(rows.at(-1)!.seq);
  }
}
