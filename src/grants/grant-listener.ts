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
    work.afterCommit(() => index.end(event.requestId));
  };
}

/**
 * Appends to the revocations feed. The cursor is max + 1 taken under an exclusive table lock on
 * PostgreSQL (SQLite's single writer gives the same), so cursors grow in commit order: a reader
 * that has seen cursor N can never later find a committed row below N. The lock is the last one
 * an ending step takes, and ending steps are rare, so the serialization costs little.
 */
export async function recordRevocation(
  trx: Tx,
  entry: { requestId: string; tenantId: string; at: string; reason: string },
): Promise<void> {
  if (isPostgres(trx)) await sql`lock table revocations in exclusive mode`.execute(trx);
  const last = await trx.selectFrom("revocations").select((eb) => eb.fn.max("cursor").as("max")).executeTakeFirst();
  await trx
    .insertInto("revocations")
    .values({
      cursor: Number(last?.max ?? 0) + 1,
      request_id: entry.requestId,
      tenant_id: entry.tenantId,
      at: entry.at,
      reason: entry.reason,
    })
    .execute();
}
