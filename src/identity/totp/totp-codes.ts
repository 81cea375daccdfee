import { randomInt } from "node:crypto";
import { generateSecret, generateURI, verifySync } from "otplib";
import { sha256Hex } from "../../ids.js";

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
export const TOTP = { algorithm: "sha1", digits: 6, period: 30 } as const;
/** One step either side is accepted (a phone clock a little off, a code typed as it turns). */
const TOLERANCE_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 }); // 160 bits, the RFC 4226 recommendation; base32
}

export function otpauthUrlOf(secret: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret, ...TOTP });
}

/**
 * The time step a code is valid for at `now`, or null. `afterTimeStep` refuses that step and
 * every earlier one, which is how a code (or an older one) is accepted only once.
 */
export function matchTotpCode(secret: string, code: string, now: Date, afterTimeStep: number | null): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const result = verifySync({
    secret,
    token: code,
    ...TOTP,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterTimeStep === null ? {} : { afterTimeStep }),
  });
  // The functional API types HOTP's result too; with the TOTP strategy it carries the time step.
  return result.valid && "timeStep" in result ? result.timeStep : null;
}

// No 0/O or 1/I/L: the codes get written on paper and typed back.
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/** A recovery code: 10 characters (about 50 bits) shown as XXXXX-XXXXX. */
export function newRecoveryCode(): string {
  let s = "";
  for (let i = 0; i < 10; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** Case, spaces and dashes do not matter when a recovery code is typed back. */
export function recoveryCodeHash(code: string): string | null {
  const normalized = code.toUpperCase().replace(/[\s-]/g, "");
  if (!/^[A-Z0-9]{10}$/.test(normalized)) return null;
  return sha256Hex(`lockbox-recovery:${normalized}`);
}
