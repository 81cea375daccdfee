import { addMinutes } from "../../clock.js";
import type { Queryable } from "../../db/schema.js";
import { CHALLENGE_MINUTES } from "./relying-party.js";

export type ChallengePurpose = "register" | "sign_in" | "step_up";

/**
 * Challenges live on the server, not in a cookie: the browser echoes the challenge inside the
 * signed clientDataJSON, and finishing a ceremony deletes the row it names. A challenge therefore
 * works once, for one purpose (and, for registration, one user), and not after CHALLENGE_MINUTES.
 * Expired rows are swept whenever a new challenge is handed out, so the table stays small.
 */
export async function storeChallenge(
  db: Queryable,
  now: Date,
  challenge: string,
  purpose: ChallengePurpose,
  userId: string | null,
): Promise<void> {
  await db.deleteFrom("webauthn_challenges").where("expires_at", "<=", now.toISOString()).execute();
  await db
    .insertInto("webauthn_challenges")
    .values({ challenge, purpose, user_id: userId, expires_at: addMinutes(now, CHALLENGE_MINUTES).toISOString() })
    .execute();
}

/**
 * Takes the challenge if it is live and was issued for this purpose (and user): a delete that
 * must remove exactly one row, so two concurrent answers to one challenge cannot both pass.
 */
export async function consumeChallenge(
  db: Queryable,
  now: Date,
  challenge: string,
  purpose: ChallengePurpose,
  userId: string | null,
): Promise<boolean> {
  if (challenge.length === 0 || challenge.length > 200) return false;
  let query = db
    .deleteFrom("webauthn_challenges")
    .where("challenge", "=", challenge)
    .where("purpose", "=", purpose)
    .where("expires_at", ">", now.toISOString());
  query = userId === null ? query.where("user_id", "is", null) : query.where("user_id", "=", userId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
