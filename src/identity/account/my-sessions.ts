import { addMinutes } from "../../clock.js";
import { recordOrgActivity } from "../../audit/record-org-activity.js";
import type { Deps } from "../../deps.js";
import { sha256Hex } from "../../ids.js";
import { auditActor, type Caller } from "../roles.js";
import { SESSION_IDLE_MINUTES } from "../sessions.js";

export interface MySession {
  /** A handle derived from the stored hash: names the session, opens nothing. */
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string | null;
  expiresAt: string;
}

/** The caller's live sessions (not expired, not idle), newest first. */
export async function listMySessions(deps: Deps, caller: Caller & { sessionIdHash?: string }): Promise<MySession[]> {
  const now = deps.clock.now();
  const rows = await deps.db
    .selectFrom("sessions")
    .select(["id_hash", "created_at", "last_seen_at", "expires_at"])
    .where("user_id", "=", caller.user.id)
    .where("expires_at", ">", now.toISOString())
    .where("last_seen_at", ">", addMinutes(now, -SESSION_IDLE_MINUTES).toISOString())
    .orderBy("created_at", "desc")
    .limit(200)
    .execute();
  return rows.map((r) => ({
    id: sha256Hex(`session-handle:${r.id_hash}`).slice(0, 16),
    current: r.id_hash === caller.sessionIdHash,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
  }));
}

/**
 * Ends every session of the caller except the one making the request (all of them when the
 * caller uses a personal API token), audited like sign-out everywhere with `exceptCurrent`.
 */
export async function endOtherSessions(deps: Deps, caller: Caller & { sessionIdHash?: string }): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    let query = trx.deleteFrom("sessions").where("user_id", "=", caller.user.id);
    if (caller.sessionIdHash) query = query.where("id_hash", "!=", caller.sessionIdHash);
    const ended = Number((await query.executeTakeFirst()).numDeletedRows);
    await recordOrgActivity(trx, caller.user.tenantId, {
      at: now,
      operation: "user.signed_out_everywhere",
      actor: auditActor(caller),
      target: { type: "user", id: caller.user.id },
      details: { sessionsEnded: ended, exceptCurrent: Boolean(caller.sessionIdHash) },
    });
    return ended;
  });
}
