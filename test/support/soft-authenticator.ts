import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import type { TestApp } from "./test-app.js";

/**
 * A software WebAuthn authenticator (ES256, user present and verified) for HTTP tests of the
 * server's assertion checks: it signs exactly what a platform authenticator signs
 * (authenticatorData ‖ SHA-256(clientDataJSON)), and lets a test bend one part at a time (origin,
 * RP id, counter, signature). Its credential is put in the passkeys table directly, as if it had
 * been registered; registration itself is tested with Chromium's virtual authenticator.
 */
export interface SoftAuthenticator {
  credentialId: string;
  counter: number;
  assert(
    challenge: string,
    opts?: { origin?: string; rpId?: string; counter?: number; type?: string; tamper?: boolean; userHandle?: string; userVerified?: boolean },
  ): Record<string, unknown>;
}

const b64u = (b: Buffer) => b.toString("base64url");

export async function softAuthenticator(t: TestApp, userId: string, rp = { id: "lockbox.test", origin: "http://lockbox.test" }): Promise<SoftAuthenticator> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
  const x = Buffer.from(jwk.x, "base64url");
  const y = Buffer.from(jwk.y, "base64url");
  // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}, CBOR by hand.
  const cose = Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), x, Buffer.from([0x22, 0x58, 0x20]), y]);
  const credentialId = b64u(randomBytes(16));
  await t.app.deps.db
    .insertInto("passkeys")
    .values({
      id: `soft-${credentialId}`,
      user_id: userId,
      credential_id: credentialId,
      public_key: b64u(cose),
      public_key_jwk: JSON.stringify({ kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }),
      algorithm: -7,
      counter: 0,
      transports: JSON.stringify(["internal"]),
      name: "Soft key",
      created_at: t.clock.now().toISOString(),
      last_used_at: null,
    })
    .execute();
  const authenticator: SoftAuthenticator = {
    credentialId,
    counter: 0,
    assert(challenge, opts = {}) {
      const counter = opts.counter ?? ++authenticator.counter;
      const clientDataJSON = Buffer.from(JSON.stringify({ type: opts.type ?? "webauthn.get", challenge, origin: opts.origin ?? rp.origin, crossOrigin: false }));
      const counterBytes = Buffer.alloc(4);
      counterBytes.writeUInt32BE(counter);
      const authenticatorData = Buffer.concat([createHash("sha256").update(opts.rpId ?? rp.id).digest(), Buffer.from([opts.userVerified === false ? 0x01 : 0x05]), counterBytes]);
      const signed = Buffer.concat([authenticatorData, createHash("sha256").update(clientDataJSON).digest()]);
      const signature = sign("sha256", signed, privateKey);
      if (opts.tamper) signature.writeUInt8(signature.readUInt8(signature.length - 1) ^ 0x01, signature.length - 1);
      return {
        id: credentialId,
        rawId: credentialId,
        type: "public-key",
        response: {
          clientDataJSON: b64u(clientDataJSON),
          authenticatorData: b64u(authenticatorData),
          signature: b64u(signature),
          userHandle: b64u(Buffer.from(opts.userHandle ?? userId)),
        },
        clientExtensionResults: {},
      };
    },
  };
  return authenticator;
}
