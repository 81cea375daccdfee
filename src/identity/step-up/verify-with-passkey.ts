import { generateAuthenticationOptions } from "@simplewebauthn/server";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { consumeChallenge, storeChallenge } from "../passkeys/challenges.js";
import { passkeyRowByCredentialId, passkeyRowsOf } from "../passkeys/passkey-queries.js";
import type { AuthenticationResponseBody } from "../passkeys/passkey-schemas.js";
import { challengeOf } from "../passkeys/read-challenge.js";
import { CHALLENGE_MINUTES, relyingPartyOf } from "../passkeys/relying-party.js";
import { advancePasskeyCounter, checkPasskeyAssertion } from "../passkeys/verify-assertion.js";
import type { Caller } from "../roles.js";
import { type Holder, recordVerification } from "./record-verification.js";
import type { Verification } from "./step-up-policy.js";

/**
 * Request options for proving presence with one of the caller's own passkeys: allowCredentials
 * names exactly those, and the challenge is stored for this user and purpose, so it cannot be
 * answered by (or for) anyone else, nor spent on a sign-in.
 */
export async function startStepUpAssertion(deps: Deps, caller: Caller): Promise<Record<string, unknown>> {
  const passkeys = await passkeyRowsOf(deps.db, caller.user.id);
  if (passkeys.length === 0) throw new AppError("conflict", "you have no passkey; register one under My account, or send a TOTP code in X-Lockbox-OTP");
  const options = await generateAuthenticationOptions({
    rpID: relyingPartyOf(deps.config).id,
    userVerification: "required",
    timeout: CHALLENGE_MINUTES * 60_000,
    allowCredentials: passkeys.map((p) => ({ id: p.credential_id, transports: JSON.parse(p.transports) as string[] })),
  });
  await storeChallenge(deps.db, deps.clock.now(), options.challenge, "step_up", caller.user.id);
  return options as unknown as Record<string, unknown>;
}

/** A refused assertion: 401 like a failed sign-in, counted by the route's brake. */
export const assertionRefused = (message: string) => new AppError("unauthenticated", message, { reason: "step_up_failed" });

/**
 * Verifies the assertion against the challenge handed to this user (taken once: a replay finds no
 * challenge), the caller's own credential, this server's origin and RP id, and user verification;
 * moves the signature counter by compare-and-set and records the verification for `holder` in the
 * same transaction. A refusal changes nothing but the spent challenge.
 */
export async function verifyStepUpAssertion(deps: Deps, caller: Caller, holder: Holder, response: AuthenticationResponseBody): Promise<Verification> {
  const now = deps.clock.now();
  const userId = caller.user.id;
  const challenge = challengeOf(response.response.clientDataJSON);
  if (!(await consumeChallenge(deps.db, now, challenge, "step_up", userId))) {
    throw assertionRefused("the verification challenge is unknown, expired or already used; start again");
  }
  const passkey = await passkeyRowByCredentialId(deps.db, response.id);
  if (!passkey || passkey.user_id !== userId) throw assertionRefused("this passkey is not one of yours");
  const handle = response.response.userHandle;
  if (handle !== undefined && Buffer.from(handle, "base64url").toString("utf8") !== userId) throw assertionRefused("the passkey does not belong to this account");

  const newCounter = await checkPasskeyAssertion(deps.config, passkey, response, challenge, assertionRefused);
  return deps.db.transaction().execute(async (trx) => {
    await advancePasskeyCounter(trx, passkey, newCounter, now, assertionRefused);
    return recordVerification(trx, now, holder, userId, "passkey", passkey.credential_id);
  });
}
