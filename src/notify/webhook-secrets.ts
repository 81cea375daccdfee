import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { loadMasterKey } from "../keys/master-key.js";

/**
 * Webhook signing secrets must be usable to sign, so they cannot be hashed; they are encrypted at
 * rest instead (AES-256-GCM, the webhook id bound as associated data so a ciphertext cannot be
 * moved to another endpoint). The key is derived by HKDF from the server's master key
 * (LOCKBOX_SECRET, or the key file in the data folder — the one that protects the signing keys),
 * so every instance sharing a database can sign, and a database dump alone reveals no secret.
 */
const keys = new WeakMap<object, Buffer>();

export function webhookSecretKey(source: { secret?: string; dataDir: string }): Buffer {
  let key = keys.get(source);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", loadMasterKey(source), "lockbox", "lockbox webhook secrets v1", 32));
    keys.set(source, key);
  }
  return key;
}

export function sealWebhookSecret(key: Buffer, webhookId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(webhookId));
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

export function openWebhookSecret(key: Buffer, webhookId: string, sealed: string): string {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || !body) throw new Error("webhook secret: unknown encryption format");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(webhookId));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("webhook secret cannot be decrypted: LOCKBOX_SECRET (or the data folder's key file) changed");
  }
}
