import { createPublicKey, type JsonWebKey, type KeyObject, verify as verifySignature } from "node:crypto";
import { type DecisionAssertion, type DecisionStatement, sha256, STATEMENT_TYPE, statementDigest } from "../approvals/decision-statement.js";

/**
 * One passkey assertion over a decision statement, checked offline with node:crypto alone (no
 * WebAuthn library, no server state), and the shape of a signed decision as an export carries it.
 * The chain walk that finds each key and each request's facts is verify-signed-decisions.ts.
 */

export interface PasskeyKey {
  credentialId: string;
  userId: string;
  jwk: JsonWebKey;
  algorithm: number;
  registeredSeq: number;
  removedSeq?: number;
}

/** WebAuthn authenticator data flags (W3C WebAuthn §6.1). */
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;

const hashOf: Record<number, string | null> = { [-7]: "sha256", [-35]: "sha384", [-36]: "sha512", [-8]: null, [-257]: "sha256" };

const keyCache = new WeakMap<object, KeyObject>();

function keyObjectOf(key: Pick<PasskeyKey, "jwk">): KeyObject {
  let k = keyCache.get(key.jwk);
  if (!k) {
    k = createPublicKey({ key: key.jwk, format: "jwk" });
    keyCache.set(key.jwk, k);
  }
  return k;
}

const b64 = (s: string) => Buffer.from(s, "base64url");

/** One RP id per installation: its hash is computed once. */
const rpIdHashes = new Map<string, Buffer>();
function rpIdHash(rpId: string): Buffer {
  let h = rpIdHashes.get(rpId);
  if (!h) {
    if (rpIdHashes.size > 64) rpIdHashes.clear();
    h = sha256(rpId);
    rpIdHashes.set(rpId, h);
  }
  return h;
}

/**
 * Checks one assertion over a statement: the client data is a `webauthn.get` whose challenge is
 * the statement's hash; the authenticator saw the user (UP) and verified them (UV) for this RP id;
 * and the signature over authenticatorData ‖ SHA-256(clientDataJSON) verifies with the key.
 * `rpId` defaults to the host of the origin the browser reported. Returns the problem, if any.
 */
export function checkAssertion(
  statement: DecisionStatement,
  assertion: DecisionAssertion,
  key: Pick<PasskeyKey, "jwk" | "algorithm">,
  rpId?: string,
  expectedChallenge: string = statementDigest(statement),
): string | undefined {
  let clientData: { type?: unknown; challenge?: unknown; origin?: unknown };
  const clientDataBytes = b64(assertion.clientDataJSON);
  try {
    clientData = JSON.parse(clientDataBytes.toString("utf8")) as typeof clientData;
  } catch {
    return "clientDataJSON is not JSON";
  }
  if (clientData.type !== "webauthn.get") return "clientDataJSON is not an assertion (webauthn.get)";
  // The challenge is the statement's public hash, not a secret: a plain comparison is right.
  if (clientData.challenge !== expectedChallenge) return "the signed challenge is not the statement's hash";
  const authData = b64(assertion.authenticatorData);
  if (authData.length < 37) return "authenticatorData is too short";
  let expectedRpId = rpId;
  if (expectedRpId === undefined) {
    try {
      expectedRpId = new URL(String(clientData.origin)).hostname;
    } catch {
      return "clientDataJSON has no origin";
    }
  }
  if (!authData.subarray(0, 32).equals(rpIdHash(expectedRpId))) return `the RP id hash is not that of ${expectedRpId}`;
  const flags = authData[32]!;
  if ((flags & FLAG_UP) === 0) return "the authenticator did not see the user (UP flag unset)";
  if ((flags & FLAG_UV) === 0) return "the authenticator did not verify the user (UV flag unset)";
  const hash = hashOf[key.algorithm];
  if (hash === undefined) return `unsupported key algorithm ${key.algorithm}`;
  const signed = Buffer.concat([authData, sha256(clientDataBytes)]);
  let ok = false;
  try {
    const publicKey = keyObjectOf(key);
    // WebAuthn ECDSA signatures are DER (ASN.1), not the raw r‖s of JOSE.
    ok = verifySignature(hash, signed, key.jwk.kty === "EC" ? { key: publicKey, dsaEncoding: "der" } : publicKey, b64(assertion.signature));
  } catch {
    ok = false;
  }
  return ok ? undefined : "the signature does not verify with the registered passkey";
}

/** The shape of `details.signed`, checked field by field (an export is untrusted input). */
export function statementShapeProblem(signed: unknown): string | undefined {
  const s = signed as { statement?: Record<string, unknown>; assertion?: Record<string, unknown> } | null;
  if (!s || typeof s !== "object" || !s.statement || !s.assertion) return "details.signed lacks statement or assertion";
  const st = s.statement;
  const str = (v: unknown) => typeof v === "string";
  const person = (v: unknown) => !!v && typeof v === "object" && str((v as { id?: unknown }).id) && str((v as { email?: unknown }).email);
  if (st.type !== STATEMENT_TYPE) return `statement.type is not ${STATEMENT_TYPE}`;
  if (!["approve", "deny", "revoke", "extend", "extend_deny"].includes(st.decision as string)) return "statement.decision is not approve, deny, revoke, extend or extend_deny";
  const extension = st.decision === "extend" || st.decision === "extend_deny";
  if (extension ? !str(st.extensionId) : st.extensionId !== undefined) return extension ? "statement.extensionId is missing" : "statement.extensionId on a request decision";
  for (const f of ["requestId", "tenantId", "ticket", "reasonSha256", "accessLevel", "issuedAt"]) if (!str(st[f])) return `statement.${f} is missing`;
  if (!person(st.requester) || !person(st.approver)) return "statement.requester or approver is missing";
  if (!Array.isArray(st.services) || !st.services.every(str)) return "statement.services is not a list of keys";
  if (!Number.isSafeInteger(st.grantedMinutes)) return "statement.grantedMinutes is not an integer";
  for (const f of ["credentialId", "authenticatorData", "clientDataJSON", "signature"]) if (!str(s.assertion[f])) return `assertion.${f} is missing`;
  return undefined;
}
