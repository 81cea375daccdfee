import { addMinutes } from "../clock.js";
import { sql } from "kysely";
import { isPostgres } from "../db/dialect.js";
import type { Db, Queryable } from "../db/schema.js";
import { RETIRED_KEY_SLACK_MINUTES } from "../keys/signing-keys.js";
import type { GrantIndex } from "./grant-index.js";
import { CURSORS_PER_TRANSACTION } from "./grant-listener.js";

export interface Revocation {
  requestId: string;
  tenantId: string;
  at: string;
  /** "revoked", "released" (the requester gave access back) or "access_window_over". */
  reason: string;
}

export interface RevocationPage {
  items: Revocation[];
  /** Pass back as `after`; always set, so a poller keeps its place even when nothing happened. */
  nextCursor: string;
}

/**
 * Ended grants after a cursor, oldest first. Without a cursor the feed starts at the oldest end
 * that can still matter: a grant that ended longer ago than the longest access window has no
 * unexpired token left. Only settled rows are served, up to the first unsettled one (see
 * recordRevocation: this is what makes paging by cursor unable to skip a late commit).
 */
export async function listRevocations(
  db: Queryable,
  input: { after?: number; limit: number },
  now: Date,
  maxAccessMinutes: number,
): Promise<RevocationPage> {
  let q = db.selectFrom("revocations").select(["cursor", "request_id", "tenant_id", "at", "reason", settledColumn(db)]).orderBy("cursor").limit(input.limit);
  if (input.after !== undefined) q = q.where("cursor", ">", input.after);
  else q = q.where("at", ">=", addMinutes(now, -(maxAccessMinutes + RETIRED_KEY_SLACK_MINUTES)).toISOString());
  const rows = settledPrefix(await q.execute());
  const next = rows.at(-1)?.cursor ?? input.after ?? (await settledHead(db));
  return {
    items: rows.map((r) => ({ requestId: r.request_id, tenantId: r.tenant_id, at: r.at, reason: r.reason })),
    nextCursor: String(next),
  };
}

/** Rows after a cursor, oldest first, settled ones only (grant-sync.ts reads the feed this way). */
export async function settledRevocationsAfter(db: Queryable, after: number, limit: number): Promise<{ cursor: number; request_id: string }[]> {
  const rows = await db.selectFrom("revocations").select(["cursor", "request_id", settledColumn(db)]).where("cursor", ">", after).orderBy("cursor").limit(limit).execute();
  return settledPrefix(rows);
}

/** The cursor a reader starting now may take without skipping anything: the last settled row. */
export async function settledHead(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom("revocations")
    .select((eb) => eb.fn.max("cursor").as("max"))
    .where(settledExpr(db))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

/**
 * Whether a row may be served yet. SQLite: always (single writer, max + 1 in commit order).
 *
 * PostgreSQL (row cursors are xid × 2^20 + index, see recordRevocation): once no transaction
 * that could still commit a row at or below it is running, as of this statement's snapshot. The
 * bound is the oldest running transaction id of the snapshot, leaving out those that
 * pg_stat_activity shows in another database of the cluster (they cannot write our table), or
 * the snapshot's xmax when none is left. Why this is safe, case by case, for a transaction X of
 * this database that writes a row:
 * - X ended before the snapshot: its row is visible to this very statement (same snapshot);
 * - X was running at the snapshot: it is among the snapshot's running ids and is never left
 *   out (it is not another database's; an id only pg_stat_activity hides from us, e.g. another
 *   role's session without pg_read_all_stats, counts as ours), so the bound is at most X;
 * - X starts later: its id is at least the snapshot's xmax, which bounds everything.
 * Transaction ids are unique among running transactions, so matching the 32-bit backend_xid
 * against the snapshot's 64-bit ids modulo 2^32 is exact.
 *
 * Why not the cluster's oldest transaction (`pg_snapshot_xmin`, the first design): a long
 * transaction anywhere on the server, another application's database included, held the feed
 * back for as long as it ran. Why not a lock around the insert so commit order equals cursor
 * order: that is a global lock on every ending step's path (SPEC §18 rules it out). Why not
 * "wait N ms, then serve anyway": a reader could page past a row that commits later, and a
 * revocation a gateway never sees is worse than one seen late. What can still delay the feed is
 * a transaction in Lockbox's own database that holds a transaction id (it wrote something, or
 * locked a row) and stays open: Lockbox's own are bounded by LOCKBOX_PG_STATEMENT_TIMEOUT_MS and
 * LOCKBOX_PG_LOCK_TIMEOUT_MS; an operator's session is bounded by PostgreSQL's
 * idle_in_transaction_session_timeout (docs/deployment.md). A session that only reads (even an
 * open REPEATABLE READ transaction) has no transaction id and delays nothing. A prepared
 * (two-phase) transaction is not in pg_stat_activity, so it counts as ours wherever it is;
 * Lockbox never creates one.
 */
function settledExpr(db: Queryable) {
  if (!isPostgres(db as Db)) return sql<boolean>`1 = 1`;
  const bound = sql`least(
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
    (select min(x::text::bigint) from pg_snapshot_xip(pg_current_snapshot()) as x
      where not exists (
        select 1 from pg_stat_activity a
        where a.datname is distinct from current_database()
          and a.backend_xid is not null
          and a.backend_xid::text::bigint = x::text::bigint % 4294967296)))`;
  return sql<boolean>`(cursor < ${bound} * ${CURSORS_PER_TRANSACTION})`;
}

function settledColumn(db: Queryable) {
  return settledExpr(db).as("settled");
}

function settledPrefix<T extends { settled: unknown; cursor: unknown }>(rows: T[]): T[] {
  // SQLite answers 1/0, PostgreSQL true/false; PostgreSQL's bigint cursors arrive as strings.
  const cut = rows.findIndex((r) => !r.settled);
  const kept = cut === -1 ? rows : rows.slice(0, cut);
  for (const r of kept) (r as { cursor: number }).cursor = Number(r.cursor);
  return kept;
}

/** The longest a long poll of the feed may wait (`wait` in seconds); below common proxy timeouts. */
export const MAX_FEED_WAIT_SECONDS = 25;

/**
 * The feed page after a cursor, waiting up to `waitMs` for something to be in it: it answers as
 * soon as the page has items (at once when it already has), or empty when the time is up, the
 * caller went away (`abort`) or the server is closing. Every end this instance learns of (its
 * own after commit, other instances' through LISTEN/NOTIFY or the poll) wakes the waiters, who
 * re-read the feed; a gateway or SDK long-polling in a loop therefore learns of an end within
 * the instance's own lag (under 100 ms on PostgreSQL with notifications, the 500 ms poll without).
 */
export async function waitForRevocations(
  db: Queryable,
  grants: GrantIndex,
  input: { after?: number; limit: number },
  now: () => Date,
  maxAccessMinutes: number,
  waitMs: number,
  abort?: AbortSignal,
): Promise<RevocationPage> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Listen before reading, so an end that lands between the read and the wait still wakes us.
    const next = grants.nextEnd(Math.max(0, deadline - Date.now()), abort);
    let page: RevocationPage;
    try {
      page = await listRevocations(db, input, now(), maxAccessMinutes);
    } catch (err) {
      next.cancel();
      throw err;
    }
    if (page.items.length > 0 || Date.now() >= deadline || abort?.aborted || grants.closing) {
      next.cancel();
      return page;
    }
    await next.ended;
    // After the first read the cursor is fixed, so a first call without one keeps its place.
    input = { after: Number(page.nextCursor), limit: input.limit };
  }
}
