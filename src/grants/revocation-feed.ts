import { addMinutes } from "../clock.js";
import type { Queryable } from "../db/schema.js";
import { RETIRED_KEY_SLACK_MINUTES } from "../keys/signing-keys.js";

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
 * unexpired token left.
 */
export async function listRevocations(
  db: Queryable,
  input: { after?: number; limit: number },
  now: Date,
  maxAccessMinutes: number,
): Promise<RevocationPage> {
  let q = db.selectFrom("revocations").selectAll().orderBy("cursor").limit(input.limit);
  if (input.after !== undefined) q = q.where("cursor", ">", input.after);
  else q = q.where("at", ">=", addMinutes(now, -(maxAccessMinutes + RETIRED_KEY_SLACK_MINUTES)).toISOString());
  const rows = await q.execute();
  let next = rows.at(-1)?.cursor ?? input.after;
  if (next === undefined) {
    const max = await db.selectFrom("revocations").select((eb) => eb.fn.max("cursor").as("max")).executeTakeFirst();
    next = Number(max?.max ?? 0);
  }
  return {
    items: rows.map((r) => ({ requestId: r.request_id, tenantId: r.tenant_id, at: r.at, reason: r.reason })),
    nextCursor: String(next),
  };
}
