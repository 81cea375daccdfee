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
 * PostgreSQL: once its transaction id is below the oldest running transaction's, as of this
 * statement's snapshot (see recordRevocation); row cursors are xid × 2^20 + index.
 */
function settledExpr(db: Queryable) {
  return isPostgres(db as Db)
    ? sql<boolean>`(cursor < pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${CURSORS_PER_TRANSACTION})`
    : sql<boolean>`1 = 1`;
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
