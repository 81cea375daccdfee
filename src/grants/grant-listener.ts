import { sql } from "kysely";
import { isPostgres } from "../db/dialect.js";
import type { Tx } from "../db/schema.js";
import type { RequestEventListener } from "../requests/request-events.js";
import { type GrantIndex, grantOf } from "./grant-index.js";

/** The statuses in which a grant ends early or on time; each writes a revocations row. */
const endedStatuses = new Set(["revoked", "completed"]);

/**
 * Keeps the grant index and the revocations feed in step with the request lifecycle. Runs inside
 * each step's transaction: the revocations row commits with the step (or not at all), and the
 * index changes only in afterCommit, so uncommitted state is never visible to the access check.
 */
export function grantListener(index: GrantIndex): RequestEventListener {
  return async (work, event) => {
    if (event.status === "approved") {
      const row = await work.trx.selectFrom("access_requests").selectAll().where("id", "=", event.requestId).executeTakeFirst();
      const grant = row && grantOf(row);
      if (grant) work.afterCommit(() => index.put(grant));
      await notifyInstances(work.trx, { grant: event.requestId });
      return;
    }
    if (!endedStatuses.has(event.status)) return;
    const row = await work.trx
      .selectFrom("access_requests")
      .select(["end_reason", "ended_at"])
      .where("id", "=", event.requestId)
      .executeTakeFirst();
    await recordRevocation(work.trx, {
      requestId: event.requestId,
      tenantId: event.tenantId,
      at: event.at.toISOString(),
      reason: event.status === "revoked" ? "revoked" : (row?.end_reason ?? "completed"),
    });
    await notifyInstances(work.trx, { end: event.requestId });
    work.afterCommit(() => index.end(event.requestId));
  };
}

/** The PostgreSQL channel on which instances tell each other of grant changes (grant-sync.ts). */
export const GRANTS_CHANNEL = "lockbox_grants";

/**
 * Tells the other instances (PostgreSQL NOTIFY; SQLite has one instance). NOTIFY is
 * transactional: it is delivered when the step commits and never if it rolls back, so a listener
 * acting on it sees the committed row.
 */
async function notifyInstances(trx: Tx, change: { grant: string } | { end: string }): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_notify(${GRANTS_CHANNEL}, ${JSON.stringify(change)})`.execute(trx);
}

/** Rows one transaction may add to the feed: its cursors are xid × 2^20 + 0 … 2^20 − 1. */
export const CURSORS_PER_TRANSACTION = 1_048_576;

/**
 * Appends to the revocations feed, with no lock beyond the row itself (SPEC §18: no global lock
 * on a step's path). SQLite's single writer numbers rows max + 1, which is commit order.
 *
 * PostgreSQL cannot number rows in commit order without serializing the writers (the first
 * release took `LOCK TABLE … IN EXCLUSIVE MODE` for that). A plain sequence would let a reader
 * see cursor 8 committed while 7 is still in flight, page past it and never see 7. So the cursor
 * comes from the server's own sequence of transaction ids instead: xid × 2^20 + the row's index in
 * its transaction. The feed serves only rows whose transaction id is below the oldest
 * transaction still running (`pg_snapshot_xmin`); every row that can still commit later has an id
 * at or above that, hence a cursor above everything served, so paging by cursor never skips one.
 * The price is latency while an older writing transaction stays open (bounded by
 * LOCKBOX_PG_STATEMENT_TIMEOUT_MS for statements), not throughput: ending steps no longer wait
 * for each other.
 */
export async function recordRevocation(
  trx: Tx,
  entry: { requestId: string; tenantId: string; at: string; reason: string },
): Promise<void> {
  const row = { request_id: entry.requestId, tenant_id: entry.tenantId, at: entry.at, reason: entry.reason };
  if (isPostgres(trx)) {
    const base = sql`(pg_current_xact_id()::text::bigint * ${CURSORS_PER_TRANSACTION})`;
    const next = await sql<{ cursor: string }>`select ${base} + (select count(*) from revocations where cursor >= ${base} and cursor < ${base} + ${CURSORS_PER_TRANSACTION}) as cursor`.execute(trx);
    await trx
      .insertInto("revocations")
      .values({ ...row, cursor: Number(next.rows[0]!.cursor) })
      .execute();
    return;
  }
  const last = await trx.selectFrom("revocations").select((eb) => eb.fn.max("cursor").as("max")).executeTakeFirst();
  await trx
    .insertInto("revocations")
    .values({ ...row, cursor: Number(last?.max ?? 0) + 1 })
    .execute();
}
