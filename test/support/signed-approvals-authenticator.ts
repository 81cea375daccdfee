import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type { As, TestApp } from "./test-app.js";

/**
 * A software passkey for HTTP tests of signed approvals: registered through the real routes
 * (POST /v1/me/passkeys/options, then an attestation of format "none"), so its
 * `user.passkey_registered` event is in the chain exactly as a browser's would be; it signs
 * assertions as an authenticator does (authenticatorData ‖ SHA-256(clientDataJSON), UP and UV set).
 * The real ceremony in Chromium is in signed-approvals-browser.test.ts.
 */
export interface SoftPasskey {
  credentialId: string;
  /** Signs a statement challenge: the `assertion` of a decision body. */
  sign(challenge: string, opts?: { flags?: number; rpId?: string; origin?: string }): { credentialId: string; authenticatorData: string; clientDataJSON: string; signature: string };
  /** Registers this same key pair (and credential id) again for `as` (after its row was removed). */
  register(as: As): Promise<void>;
  /** An attacker with the database: the key's row written straight into passkeys, no audit event. */
  plant(userId: string): Promise<void>;
}

const b64u = (b: Buffer | Uint8Array) => Buffer.from(b).toString("base64url");
const sha = (b: string | Buffer) => createHash("sha256").update(b).digest();

export async function softPasskey(t: TestApp, as: As | null, kind: "ES256" | "Ed25519" = "ES256"): Promise<SoftPasskey> {
  const rp = new URL(t.app.deps.config.publicUrl);
  const { privateKey, publicKey } = kind === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" }) as { x: string; y?: string };
  const cose =
    kind === "ES256"
      ? new Map<number, number | Uint8Array>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, Buffer.from(jwk.x, "base64url")],
          [-3, Buffer.from(jwk.y!, "base64url")],
        ])
      : new Map<number, number | Uint8Array>([
          [1, 1],
          [3, -8],
          [-1, 6],
          [-2, Buffer.from(jwk.x, "base64url")],
        ]);
  const credential = randomBytes(16);
  let counter = 0;
  const signWith = (key: KeyObject, data: Buffer) => sign(kind === "ES256" ? "sha256" : null, data, key);

  const key: SoftPasskey = {
    credentialId: b64u(credential),
    sign(challenge, opts = {}) {
      counter += 1;
      const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge, origin: opts.origin ?? rp.origin, crossOrigin: false }));
      const count = Buffer.alloc(4);
      count.writeUInt32BE(counter);
      const authenticatorData = Buffer.concat([sha(opts.rpId ?? rp.hostname), Buffer.from([opts.flags ?? 0x05]), count]);
      const signature = signWith(privateKey, Buffer.concat([authenticatorData, sha(clientDataJSON)]));
      return { credentialId: key.credentialId, authenticatorData: b64u(authenticatorData), clientDataJSON: b64u(clientDataJSON), signature: b64u(signature) };
    },
    async register(who) {
      const started = await t.request("POST", "/v1/me/passkeys/options", who);
      if (started.status !== 200) throw new Error(`passkey options: ${started.status} ${JSON.stringify(started.body)}`);
      const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.create", challenge: started.body.options.challenge, origin: rp.origin, crossOrigin: false }));
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credential.length);
      const authData = Buffer.concat([
        sha(rp.hostname),
        Buffer.from([0x45]), // UP | UV | AT (attested credential data follows)
        Buffer.alloc(4),
        Buffer.alloc(16), // AAGUID: none
        idLength,
        credential,
        Buffer.from(isoCBOR.encode(cose)),
      ]);
      const attestationObject = isoCBOR.encode(new Map<string, unknown>([["fmt", "none"], ["attStmt", new Map()], ["authData", new Uint8Array(authData)]]) as never);
      const res = await t.request("POST", "/v1/me/passkeys", who, {
        name: `Soft ${kind}`,
        response: {
          id: key.credentialId,
          rawId: key.credentialId,
          type: "public-key",
          response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), transports: ["internal"] },
          clientExtensionResults: {},
        },
      });
      if (res.status !== 201) throw new Error(`passkey registration: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async plant(userId) {
      await t.app.deps.db
        .insertInto("passkeys")
        .values({
          id: `planted-${key.credentialId}`,
          user_id: userId,
          credential_id: key.credentialId,
          public_key: b64u(isoCBOR.encode(cose)),
          public_key_jwk: JSON.stringify(jwk),
          algorithm: kind === "ES256" ? -7 : -8,
          counter: 0,
          transports: "[]",
          name: "planted",
          created_at: t.clock.now().toISOString(),
          last_used_at: null,
        })
        .execute();
    },
  };
  if (as) await key.register(as);
  return key;
}
