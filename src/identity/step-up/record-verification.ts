import { addMinutes } from "../../clock.js";
import type { Queryable } from "../../db/schema.js";
import { sha256Hex } from "../../ids.js";
import { STEP_UP_MINUTES, type Verification, type VerificationMethod } from "./step-up-policy.js";

/**
 * What holds a verification: the cookie session it was made in, or the personal API token it was
 * sent with — never the person as a whole, so verifying in one browser does not arm a token left
 * in a script, nor another session. A token is named by a hash of its own (not the stored
 * token_hash), so this table cannot be joined back to a usable lookup key.
 */
export type Holder = string;

export function sessionHolder(sessionIdHash: string): Holder {
  return `session:${sessionIdHash}`;
}

export function tokenHolder(token: string): Holder {
  return `token:${sha256Hex(`lockbox-step-up:${token}`)}`;
}

/**
 * Records (or renews) the holder's verification, valid STEP_UP_MINUTES from `now`. One row per
 * holder: the newest verification replaces the previous one. Expired rows of anyone are swept
 * here, so the table holds only live verifications.
 */
export async function recordVerification(
  db: Queryable,
  now: Date,
  holder: Holder,
  userId: string,
  method: VerificationMethod,
  credentialId: string | null,
): Promise<Verification> {
  const at = now.toISOString();
  const expires = addMinutes(now, STEP_UP_MINUTES).toISOString();
  await db.deleteFrom("step_up_verifications").where("expires_at", "<=", at).execute();
  await db.deleteFrom("step_up_verifications").where("holder", "=", holder).execute();
  await db
    .insertInto("step_up_verifications")
    .values({ holder, user_id: userId, method, credential_id: credentialId, verified_at: at, expires_at: expires })
    .execute();
  return { method, at, ...(credentialId ? { credentialId } : {}) };
}

/** The holder's verification if it is the user's and younger than STEP_UP_MINUTES at `now`. */
export async function findFreshVerification(db: Queryable, now: Date, holder: Holder, userId: string): Promise<Verification | undefined> {
  const row = await db
    .selectFrom("step_up_verifications")
    .selectAll()
    .where("holder", "=", holder)
    .where("user_id", "=", userId)
    .where("expires_at", ">", now.toISOString())
    .executeTakeFirst();
  if (!row) return undefined;
  return { method: row.method as VerificationMethod, at: row.verified_at, ...(row.credential_id ? { credentialId: row.credential_id } : {}) };
}
