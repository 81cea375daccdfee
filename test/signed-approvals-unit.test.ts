import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { test } from "node:test";
import canonicalizeModule from "canonicalize";
import fc from "fast-check";
import { buildStatement, canonicalStatement, type DecisionStatement, statementDigest } from "../src/approvals/decision-statement.js";
import { checkAssertion } from "../src/audit/check-signed-assertion.js";

/** The pure parts of signed approvals (SPEC 15): the canonical form and one assertion's checks. */

const canonicalize = canonicalizeModule as unknown as (v: unknown) => string;
const sha = (b: string | Buffer) => createHash("sha256").update(b).digest();

const text = fc.string({ maxLength: 40, unit: "binary" });
const statementArb = fc.record({
  requestId: text,
  tenantId: text,
  requester: fc.record({ id: text, email: text }),
  ticket: text,
  reason: text,
  services: fc.array(text, { minLength: 1, maxLength: 5 }),
  accessLevel: fc.constantFrom("read" as const, "write" as const),
  minutes: fc.integer({ min: 1, max: 1440 }),
  approver: fc.record({ id: text, email: text }),
  decision: fc.constantFrom("approve" as const, "deny" as const, "revoke" as const),
});

test("the statement's canonical form is RFC 8785 (as the canonicalize package writes it) for any text", () => {
  fc.assert(
    fc.property(statementArb, (f) => {
      const s = buildStatement(f, f.decision, f.minutes, f.approver, new Date(0));
      assert.equal(canonicalStatement(s), canonicalize(s));
      assert.deepEqual(s.services, [...f.services].sort());
    }),
    { numRuns: 300 },
  );
  // Any other shape takes the general path: an extra member is signed, not dropped.
  const s = buildStatement({ requestId: "r", tenantId: "t", requester: { id: "u", email: "e" }, ticket: "C", reason: "x", services: ["mail"], accessLevel: "read" }, "approve", 5, { id: "a", email: "b" }, new Date(0));
  const extra = { ...s, note: "smuggled" } as unknown as DecisionStatement;
  assert.equal(canonicalStatement(extra), canonicalize(extra));
  assert.notEqual(statementDigest(extra), statementDigest(s));
});

function signer(kind: "ec" | "ed25519" | "rsa") {
  const pair =
    kind === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : kind === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ed25519");
  const algorithm = kind === "ec" ? -7 : kind === "rsa" ? -257 : -8;
  const key = { jwk: pair.publicKey.export({ format: "jwk" }), algorithm };
  const assertion = (challenge: string, o: { flags?: number; rpId?: string; type?: string; privateKey?: KeyObject } = {}) => {
    const clientDataJSON = Buffer.from(JSON.stringify({ type: o.type ?? "webauthn.get", challenge, origin: "https://lockbox.example" }));
    const authenticatorData = Buffer.concat([sha(o.rpId ?? "lockbox.example"), Buffer.from([o.flags ?? 0x05]), Buffer.alloc(4)]);
    const signature = sign(kind === "ed25519" ? null : "sha256", Buffer.concat([authenticatorData, sha(clientDataJSON)]), o.privateKey ?? pair.privateKey);
    return { credentialId: "c", authenticatorData: authenticatorData.toString("base64url"), clientDataJSON: clientDataJSON.toString("base64url"), signature: signature.toString("base64url") };
  };
  return { key, assertion };
}

test("one assertion: ES256, EdDSA and RS256 verify from the JWK; every flag, RP id, type, challenge and key mismatch is named", () => {
  const s = buildStatement({ requestId: "r", tenantId: "t", requester: { id: "u", email: "e" }, ticket: "C", reason: "x", services: ["mail"], accessLevel: "read" }, "approve", 5, { id: "a", email: "b" }, new Date(0));
  const challenge = statementDigest(s);
  for (const kind of ["ec", "ed25519", "rsa"] as const) {
    const { key, assertion } = signer(kind);
    assert.equal(checkAssertion(s, assertion(challenge), key), undefined, kind);
    assert.equal(checkAssertion(s, assertion(challenge), key, "lockbox.example"), undefined, kind);
  }
  const { key, assertion } = signer("ec");
  const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const cases: [ReturnType<typeof assertion>, RegExp, string?][] = [
    [assertion(challenge, { flags: 0x04 }), /UP flag/],
    [assertion(challenge, { flags: 0x01 }), /UV flag/],
    [assertion(challenge, { rpId: "evil.example" }), /RP id hash/],
    [assertion(challenge), /RP id hash/, "other.example"],
    [assertion(challenge, { type: "webauthn.create" }), /webauthn.get/],
    [assertion(statementDigest({ ...s, grantedMinutes: 6 })), /challenge is not the statement's hash/],
    [assertion(challenge, { privateKey: other }), /does not verify/],
  ];
  for (const [a, why, rpId] of cases) assert.match(checkAssertion(s, a, key, rpId) ?? "passed", why);
});
