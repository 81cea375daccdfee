import { addMinutes } from "../clock.js";
import { recordOrgActivity } from "../audit/record-org-activity.js";
import type { Queryable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { newSecret, sha256Hex } from "../ids.js";
import { auditActor, type Caller, type User } from "./roles.js";
import { toUser } from "./user-queries.js";

export const SESSION_COOKIE = "lockbox_session";
/** Absolute lifetime: a session ends this long after sign-in, however busy. */
export const SESSION_MINUTES = 12 * 60;
/** Idle lifetime: a session not used for this long ends. */
export const SESSION_IDLE_MINUTES = 30;
/** `last_seen_at` is written at most this often, so a busy session does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

export interface Session {
  idHash: string;
  csrfToken: string;
  user: User;
}

/**
 * Only a hash of the cookie value is stored, so a copy of the database opens no sessions. Every
 * sign-in makes a new session id (and CSRF token): no id chosen before sign-in is ever promoted.
 */
export async function createSession(db: Queryable, now: Date, userId: string): Promise<{ cookie: string; csrfToken: string }> {
  const cookie = newSecret();
  const csrfToken = newSecret();
  await db
    .insertInto("sessions")
    .values({
      id_hash: sha256Hex(cookie),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: now.toISOString(),
      expires_at: addMinutes(now, SESSION_MINUTES).toISOString(),
      last_seen_at: now.toISOString(),
    })
    .execute();
  return { cookie, csrfToken };
}

/** The live session of a cookie: not past its absolute expiry, not idle, of an active user. */
export async function findSession(deps: Deps, cookie: string): Promise<Session | undefined> {
  const now = deps.clock.now();
  const row = await deps.db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .selectAll("users")
    .select(["sessions.id_hash", "sessions.csrf_token", "sessions.last_seen_at"])
    .where("sessions.id_hash", "=", sha256Hex(cookie))
    .where("sessions.expires_at", ">", now.toISOString())
    .where("sessions.last_seen_at", ">", addMinutes(now, -SESSION_IDLE_MINUTES).toISOString())
    .where("users.status", "=", "active")
    .executeTakeFirst();
  if (!row) return undefined;
  if (now.getTime() - Date.parse(row.last_seen_at!) >= TOUCH_EVERY_MS) {
    // Conditional, so concurrent requests of one session write once.
    await deps.db
      .updateTable("sessions")
      .set({ last_seen_at: now.toISOString() })
      .where("id_hash", "=", row.id_hash)
      .where("last_seen_at", "=", row.last_seen_at)
      .execute();
  }
  return { idHash: row.id_hash, csrfToken: row.csrf_token, user: toUser(row) };
}

export async function deleteSession(deps: Deps, idHash: string): Promise<void> {
  await deps.db.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
}

/**
 * Sign-out everywhere: ends every session of the caller (every browser, every device), audited
 * as `user.signed_out_everywhere`. Personal API tokens are separate and stay until deleted.
 */
export async function endAllSessions(deps: Deps, caller: Caller): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom("sessions").where("user_id", "=", caller.user.id).executeTakeFirst();
    const ended = Number(result.numDeletedRows);
    await recordOrgActivity(trx, caller.user.tenantId, {
      at: now,
      operation: "user.signed_out_everywhere",
      actor: auditActor(caller),
      target: { type: "user", id: caller.user.id },
      details: { sessionsEnded: ended },
    });
    return ended;
  });
}
