import { generateRegistrationOptions, verifyRegistrationResponse } from "@simplewebauthn/server";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { newId } from "../../ids.js";
import { recordFactorActivity } from "../account/record-factor-activity.js";
import { auditActor, type Caller } from "../roles.js";
import { consumeChallenge, storeChallenge } from "./challenges.js";
import { coseToJwk } from "./cose-jwk.js";
import { passkeyRowByCredentialId, passkeyRowsOf, type Passkey, toPasskey } from "./passkey-queries.js";
import type { RegistrationResponseBody } from "./passkey-schemas.js";
import { CHALLENGE_MINUTES, relyingPartyOf, SUPPORTED_ALGORITHMS } from "./relying-party.js";
import { challengeOf } from "./read-challenge.js";

/** Passkeys one person may hold; each sign-in looks one up by id, so the bound is about clutter. */
export const MAX_PASSKEYS_PER_USER = 20;

/**
 * Creation options for the caller. The credential must be discoverable (a resident key) with user
 * verification, so it can sign in without an email and counts as two factors on its own; the
 * caller's existing credentials are excluded so one authenticator is not registered twice.
 */
export async function startPasskeyRegistration(deps: Deps, caller: Caller): Promise<Record<string, unknown>> {
  const rp = relyingPartyOf(deps.config);
  const existing = await passkeyRowsOf(deps.db, caller.user.id);
  if (existing.length >= MAX_PASSKEYS_PER_USER) {
    throw new AppError("conflict", `at most ${MAX_PASSKEYS_PER_USER} passkeys per person; remove one first`);
  }
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: caller.user.email,
    userDisplayName: caller.user.name,
    userID: new TextEncoder().encode(caller.user.id),
    timeout: CHALLENGE_MINUTES * 60_000,
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: JSON.parse(p.transports) as string[] })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
  await storeChallenge(deps.db, deps.clock.now(), options.challenge, "register", caller.user.id);
  return options as unknown as Record<string, unknown>;
}

/**
 * Verifies the attestation against a challenge issued to this caller (taken first, so a failed
 * attempt also spends it), the public URL's origin and RP id, and stores the credential with its
 * audit event in one transaction.
 */
export async function finishPasskeyRegistration(
  deps: Deps,
  caller: Caller,
  input: { response: RegistrationResponseBody; name?: string },
): Promise<Passkey> {
  const rp = relyingPartyOf(deps.config);
  const now = deps.clock.now();
  const challenge = challengeOf(input.response.response.clientDataJSON);
  if (!(await consumeChallenge(deps.db, now, challenge, "register", caller.user.id))) {
    throw new AppError("invalid_request", "the passkey challenge is unknown, expired or already used; start again");
  }
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response as Parameters<typeof verifyRegistrationResponse>[0]["response"],
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  } catch (err) {
    throw new AppError("invalid_request", `the passkey could not be verified: ${(err as Error).message}`);
  }
  if (!verified.verified) throw new AppError("invalid_request", "the passkey could not be verified");
  const { credential } = verified.registrationInfo;
  let key;
  try {
    key = coseToJwk(credential.publicKey);
  } catch (err) {
    throw new AppError("invalid_request", `the passkey's key is not supported: ${(err as Error).message}`);
  }
  if (await passkeyRowByCredentialId(deps.db, credential.id)) throw new AppError("conflict", "this passkey is already registered");

  const row = {
    id: newId(),
    user_id: caller.user.id,
    credential_id: credential.id,
    public_key: Buffer.from(credential.publicKey).toString("base64url"),
    public_key_jwk: JSON.stringify(key.jwk),
    algorithm: key.algorithm,
    counter: credential.counter,
    transports: JSON.stringify(credential.transports ?? []),
    name: input.name ?? "Passkey",
    created_at: now.toISOString(),
    last_used_at: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto("passkeys").values(row).execute();
    await recordFactorActivity(trx, caller.user.tenantId, {
      at: now,
      operation: "user.passkey_registered",
      actor: auditActor(caller),
      target: { type: "user", id: caller.user.id },
      details: { passkeyId: row.id, name: row.name, credentialId: row.credential_id, publicKey: key.jwk, algorithm: key.algorithm },
    });
  });
  return toPasskey(row);
}
