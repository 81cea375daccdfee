import { setTimeout as sleep } from "node:timers/promises";
import { generateAuthenticationOptions } from "@simplewebauthn/server";
import { recordOrgActivity } from "../../audit/record-org-activity.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import type { LoginThrottle } from "../login-throttle.js";
import type { User } from "../roles.js";
import { createSession } from "../sessions.js";
import { toUser } from "../user-queries.js";
import { consumeChallenge, storeChallenge } from "./challenges.js";
import { passkeyRowByCredentialId } from "./passkey-queries.js";
import type { AuthenticationResponseBody } from "./passkey-schemas.js";
import { challengeOf } from "./read-challenge.js";
import { CHALLENGE_MINUTES, relyingPartyOf } from "./relying-party.js";
import { advancePasskeyCounter, checkPasskeyAssertion } from "./verify-assertion.js";

/**
 * Request options for a sign-in without an email: no allowCredentials, so the authenticator
 * offers its discoverable credentials for this RP id, and the credential id it answers with
 * names the account.
 */
export async function startPasskeySignIn(deps: Deps): Promise<Record<string, unknown>> {
  const options = await generateAuthenticationOptions({
    rpID: relyingPartyOf(deps.config).id,
    userVerification: "required",
    timeout: CHALLENGE_MINUTES * 60_000,
  });
  await storeChallenge(deps.db, deps.clock.now(), options.challenge, "sign_in", null);
  return options as unknown as Record<string, unknown>;
}

const failed = (message: string) => new AppError("unauthenticated", message);

/**
 * Verifies an assertion and starts a session exactly as a password sign-in does (same answer,
 * same cookie), audited as `user.signed_in` with `details.method: "passkey"`. Failures count
 * against the same per-IP brake as passwords. The counter moves by compare-and-set (see
 * advancePasskeyCounter).
 */
export async function signInWithPasskey(
  deps: Deps,
  throttle: LoginThrottle,
  input: { response: AuthenticationResponseBody; ip: string },
): Promise<{ user: User; cookie: string; csrfToken: string }> {
  const keys = [`ip:${input.ip}`];
  await sleep(throttle.attempt(keys, "too many failed sign-ins; try again later"));
  const now = deps.clock.now();
  const challenge = challengeOf(input.response.response.clientDataJSON);
  if (!(await consumeChallenge(deps.db, now, challenge, "sign_in", null))) {
    throw failed("the passkey challenge is unknown, expired or already used; start again");
  }
  const passkey = await passkeyRowByCredentialId(deps.db, input.response.id);
  if (!passkey) throw failed("this passkey is not registered here");
  const row = await deps.db.selectFrom("users").selectAll().where("id", "=", passkey.user_id).executeTakeFirst();
  if (!row || row.status !== "active") throw failed("this account cannot sign in");
  // The authenticator also names the account it stored the credential for; it must be the owner.
  const handle = input.response.response.userHandle;
  if (handle !== undefined && Buffer.from(handle, "base64url").toString("utf8") !== row.id) throw failed("the passkey does not belong to this account");

  const newCounter = await checkPasskeyAssertion(deps.config, passkey, input.response, challenge, failed);
  throttle.forgive(keys);

  const user = toUser(row);
  const session = await deps.db.transaction().execute(async (trx) => {
    await advancePasskeyCounter(trx, passkey, newCounter, now, failed);
    await recordOrgActivity(trx, user.tenantId, {
      at: now,
      operation: "user.signed_in",
      actor: { type: "user", id: user.id, name: user.name, ip: input.ip },
      target: { type: "user", id: user.id },
      details: { method: "passkey", passkeyId: passkey.id, credentialId: passkey.credential_id },
    });
    return createSession(trx, now, user.id);
  });
  return { user, ...session };
}
