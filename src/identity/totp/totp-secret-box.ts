import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { loadMasterKey } from "../../keys/master-key.js";

/**
 * A TOTP secret must be readable to check codes, so it is sealed, not hashed: AES-256-GCM under
 * a key derived (HKDF) from the server's master key — the one that protects the signing keys and
 * webhook secrets — with the user id as associated data, so a sealed secret cannot be moved to
 * another account. A database dump alone reveals no secret.
 */
const keys = new WeakMap<object, Buffer>();

export function totpKey(source: { secret?: string; dataDir: string }): Buffer {
  let key = keys.get(source);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", loadMasterKey(source), "lockbox", "lockbox totp secrets v1", 32));
    keys.set(source, key);
  }
  return key;
}

export function sealTotpSecret(key: Buffer, userId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(userId));
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

export function openTotpSecret(key: Buffer, userId: string, sealed: string): string {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || !body) throw new Error("TOTP secret: unknown encryption format");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(userId));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("TOTP secret cannot be decrypted: LOCKBOX_SECRET (or the data folder's key file) changed");
  }
}
