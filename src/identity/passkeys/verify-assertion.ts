import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import type { Config } from "../../config.js";
import type { PasskeyTable, Queryable } from "../../db/schema.js";
import type { AppError } from "../../errors.js";
import type { AuthenticationResponseBody } from "./passkey-schemas.js";
import { relyingPartyOf } from "./relying-party.js";

/**
 * The one WebAuthn assertion check of sign-in, step-up and signed decisions: the response against
 * this server's origin and RP id, the expected challenge and the stored credential, with user
 * verification required. Returns the authenticator's new signature counter, which the caller
 * stores with `advancePasskeyCounter` in the transaction that acts on the assertion. Every failure
 * is thrown as `refuse(message)`, the caller's own error.
 */
export async function checkPasskeyAssertion(
  config: Pick<Config, "publicUrl">,
  passkey: PasskeyTable,
  response: AuthenticationResponseBody,
  expectedChallenge: string,
  refuse: (message: string) => AppError,
): Promise<number> {
  const rp = relyingPartyOf(config);
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: response as Parameters<typeof verifyAuthenticationResponse>[0]["response"],
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credential_id,
        publicKey: Buffer.from(passkey.public_key, "base64url"),
        counter: Number(passkey.counter),
        transports: JSON.parse(passkey.transports) as string[],
      },
      requireUserVerification: true,
    });
  } catch (err) {
    throw refuse(`the passkey assertion could not be verified: ${(err as Error).message}`);
  }
  if (!verified.verified) throw refuse("the passkey assertion could not be verified");
  return verified.authenticationInfo.newCounter;
}

/**
 * Stores the new counter by compare-and-set on the one the assertion was checked against: of two
 * assertions racing with one counter value (a cloned authenticator, or one assertion sent twice),
 * exactly one wins and the other is refused.
 */
export async function advancePasskeyCounter(
  trx: Queryable,
  passkey: PasskeyTable,
  newCounter: number,
  now: Date,
  refuse: (message: string) => AppError,
): Promise<void> {
  const moved = await trx
    .updateTable("passkeys")
    .set({ counter: newCounter, last_used_at: now.toISOString() })
    .where("id", "=", passkey.id)
    .where("counter", "=", passkey.counter)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) throw refuse("the passkey was used concurrently; try again");
}
