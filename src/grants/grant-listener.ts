import { sql } from "kysely";
import { isPostgres } from "../db/dialect.js";
import type { Tx } from "../db/schema.js";
import type { RequestEventListener } from "../requests/request-events.js";
import { type AccessLevel, type Grant, type GrantIndex, grantOf } from "./grant-index.js";

/** The statuses in which a grant ends early or on time; each writes a revocations row. */
const endedStatuses = new Set(["revoked", "completed"]);
/**
 * Steps that change neither status nor window: they carry the request's current status (which may
 * be "completed") and must not put or end a grant a second time.
 */
const noGrantChange: ReadonlySet<string> = new Set(["request.break_glass_requested", "request.reviewed"]);

/**
 * Keeps the grant index and the revocations feed in step with the request lifecycle. Runs inside
 * each step's transaction: the revocations row commits with the step (or not at all), and the
 * index changes only in afterCommit, so uncommitted state is never visible to the access check.
 */
export function grantListener(index: GrantIndex): RequestEventListener {
  return async (work, event) => {
    if (noGrantChange.has(event.operation)) return;
    if (event.status === "approved") {
      // The step's UPDATE … RETURNING carries the row; read it only for a step that has none.
      const row = event.stored ?? (await work.trx.selectFrom("access_requests").selectAll().where("id", "=", event.requestId).executeTakeFirst());
      const grant = row && grantOf(row);
      if (grant) work.afterCommit(() => index.put(grant));
      // The grant itself travels with the notification, so other instances put it in their index
      // without reading it back (and a refusal they prove from memory, grant-sync.ts, counts it).
      await notifyInstances(work.trx, { grant: event.requestId, ...(grant ? { g: wireGrant(grant) } : {}) });
      return;
    }
    if (!endedStatuses.has(event.status)) return;
    const row = event.stored ?? (await work.trx.selectFrom("access_requests").select(["end_reason"]).where("id", "=", event.requestId).executeTakeFirst());
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
async function notifyInstances(trx: Tx, change: { grant: string; g?: WireGrant } | { end: string }): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_notify(${GRANTS_CHANNEL}, ${JSON.stringify(change)})`.execute(trx);
}

/** A grant as NOTIFY carries it (JSON; far below PostgreSQL's 8000-byte payload limit). */
export interface WireGrant {
  u: string;
  t: string;
  s: string[];
  l: AccessLevel;
  from: string;
  to: string;
}

function wireGrant(g: Grant): WireGrant {
  return { u: g.userId, t: g.tenantId, s: [...g.services], l: g.accessLevel, from: new Date(g.startsAtMs).toISOString(), to: g.endsAt };
}

/** The grant of a notification, or undefined when it carries none or not a well-formed one. */
export function grantOfWire(requestId: string, w: unknown): Grant | undefined {
  if (typeof w !== "object" || w === null) return undefined;
  const { u, t, s, l, from, to } = w as Record<string, unknown>;
  if (typeof u !== "string" || typeof t !== "string" || typeof from !== "string" || typeof to !== "string") return undefined;
  if (!Array.isArray(s) || !s.every((x) => typeof x === "string") || (l !== "read" && l !== "write")) return undefined;
  const startsAtMs = Date.parse(from);
  const endsAtMs = Date.parse(to);
  if (Number.isNaN(startsAtMs) || Number.isNaN(endsAtMs)) return undefined;
  return { requestId, userId: u, tenantId: t, services: new Set(s), accessLevel: l, startsAtMs, endsAtMs, endsAt: to };
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
 * transaction still running in this database (revocation-feed.ts, settledExpr); every row that
 * can still commit later has an id at or above that, hence a cursor above everything served, so
 * paging by cursor never skips one. The price is latency while an older writing transaction of
 * this database stays open (other databases on the server do not count), not throughput: ending
 * steps no longer wait for each other.
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
