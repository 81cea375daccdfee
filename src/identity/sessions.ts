import { addMinutes } from "../clock.js";
import type { Queryable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { newSecret, sha256Hex } from "../ids.js";
import type { User } from "./roles.js";
import { toUser } from "./user-queries.js";

export const SESSION_COOKIE = "lockbox_session";
export const SESSION_MINUTES = 12 * 60;

export interface Session {
  idHash: string;
  csrfToken: string;
  user: User;
}

/** Only a hash of the cookie value is stored, so a copy of the database opens no sessions. */
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
    })
    .execute();
  return { cookie, csrfToken };
}

export async function findSession(deps: Deps, cookie: string): Promise<Session | undefined> {
  const row = await deps.db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .selectAll("users")
    .select(["sessions.id_hash", "sessions.csrf_token"])
    .where("sessions.id_hash", "=", sha256Hex(cookie))
    .where("sessions.expires_at", ">", deps.clock.now().toISOString())
    .where("users.status", "=", "active")
    .executeTakeFirst();
  if (!row) return undefined;
  return { idHash: row.id_hash, csrfToken: row.csrf_token, user: toUser(row) };
}

export async function deleteSession(deps: Deps, idHash: string): Promise<void> {
  await deps.db.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
}
