import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Where the generated master key lives when LOCKBOX_SECRET is not set. */
export const KEY_FILE = "signing-keys.secret";

/**
 * The 32-byte key that encrypts signing keys at rest. From LOCKBOX_SECRET (via HKDF-SHA256) when
 * set, which is what several instances sharing one PostgreSQL database must use; otherwise from
 * a random key file created with mode 0600 in the data folder on first use. The key itself is
 * never logged or printed.
 */
export function loadMasterKey(source: { secret?: string; dataDir: string }): Buffer {
  if (source.secret) {
    return Buffer.from(hkdfSync("sha256", source.secret, "lockbox", "lockbox signing keys v1", 32));
  }
  const file = path.join(source.dataDir, KEY_FILE);
  fs.mkdirSync(source.dataDir, { recursive: true });
  try {
    // "wx": never overwrite a key another process (or an earlier start) created.
    fs.writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte key`);
  return key;
}

/** AES-256-GCM; the kid is bound as associated data so a ciphertext cannot be moved to another key row. */
export function sealPrivateKey(masterKey: Buffer, kid: string, pkcs8: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
  cipher.setAAD(Buffer.from(kid));
  const body = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

export function openPrivateKey(masterKey: Buffer, kid: string, sealed: string): Buffer {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || !body) throw new Error(`signing key ${kid}: unknown encryption format`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", masterKey, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
  } catch {
    throw new Error(
      `signing key ${kid} cannot be decrypted: LOCKBOX_SECRET (or the key file ${KEY_FILE}) differs from the one that created it`,
    );
  }
}
