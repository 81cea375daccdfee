import { generateKeyPairSync } from "node:crypto";
import { sql } from "kysely";
import type { Config } from "../config.js";
import { isPostgres } from "../db/dialect.js";
import type { AuditLogKeyTable, Db, Queryable } from "../db/schema.js";
import { loadMasterKey, openPrivateKey, sealPrivateKey } from "../keys/master-key.js";
import { ed25519PrivateFromSeed, formatVerifierKey, keyIdOf, makeSigner, type NoteSigner, rawEd25519Public, KEY_TYPE_ED25519, seedOf } from "./notes.js";

/**
 * The installation's audit log key (SPEC §16): an Ed25519 note key named `<public host>/audit`
 * that signs every chain's checkpoints. Sealed at rest with the signing keys' master key
 * (AES-256-GCM, the key id bound as associated data, under a prefix of its own so a sealed log
 * key and a sealed token key can never stand in for each other). Rotation retires the active key
 * and makes a new one; retired keys stay published so old checkpoints keep verifying.
 */

const AAD_PREFIX = "audit-log-key:";

/** `https://lockbox.example/base/` → `lockbox.example/base`: the schema-less public address. */
export function publicBase(config: Pick<Config, "publicUrl">): string {
  const url = new URL(config.publicUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

export const logKeyName = (config: Pick<Config, "publicUrl">) => `${publicBase(config)}/audit`;

/** The origin line of a chain's checkpoints: `<public host>/audit/provider` or `…/audit/tenant/<id>`. */
export function originOf(config: Pick<Config, "publicUrl">, chain: string): string {
  return `${publicBase(config)}/audit/${chain.startsWith("tenant:") ? `tenant/${chain.slice("tenant:".length)}` : chain}`;
}

async function insertLogKey(db: Queryable, masterKey: Buffer, name: string, now: Date): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = rawEd25519Public(publicKey);
  const keyId = keyIdOf(name, KEY_TYPE_ED25519, raw).toString(16).padStart(8, "0");
  await db
    .insertInto("audit_log_keys")
    .values({
      key_id: keyId,
      name,
      public_key: raw.toString("base64"),
      private_key_enc: sealPrivateKey(masterKey, AAD_PREFIX + keyId, seedOf(privateKey)),
      created_at: now.toISOString(),
      retired_at: null,
    })
    .execute();
  return keyId;
}

/**
 * Makes sure an active log key named for the configured public URL exists. A changed
 * LOCKBOX_PUBLIC_URL changes the key name (and the origins), so the old key is retired and a new
 * one made: a checkpoint never carries a name its origin does not match.
 */
export async function ensureAuditLogKey(db: Db, config: Pick<Config, "publicUrl" | "secret" | "dataDir">, now: Date): Promise<void> {
  const name = logKeyName(config);
  await db.transaction().execute(async (trx) => {
    if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext('lockbox_audit_log_keys'))`.execute(trx);
    const active = await trx.selectFrom("audit_log_keys").select(["key_id", "name"]).where("retired_at", "is", null).execute();
    if (active.length === 1 && active[0]!.name === name) return;
    const masterKey = loadMasterKey(config);
    await trx.updateTable("audit_log_keys").set({ retired_at: now.toISOString() }).where("retired_at", "is", null).execute();
    await insertLogKey(trx, masterKey, name, now);
  });
}

export async function rotateAuditLogKey(
  db: Db,
  config: Pick<Config, "publicUrl" | "secret" | "dataDir">,
  now: Date,
): Promise<{ keyId: string; retired: string[]; verifierKey: string }> {
  const masterKey = loadMasterKey(config);
  return db.transaction().execute(async (trx) => {
    if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext('lockbox_audit_log_keys'))`.execute(trx);
    const active = await trx.selectFrom("audit_log_keys").selectAll().where("retired_at", "is", null).execute();
    // A new key sealed under another secret would stop every server that holds the right one.
    for (const row of active) signerOf(masterKey, row);
    await trx.updateTable("audit_log_keys").set({ retired_at: now.toISOString() }).where("retired_at", "is", null).execute();
    const keyId = await insertLogKey(trx, masterKey, logKeyName(config), now);
    const row = await trx.selectFrom("audit_log_keys").selectAll().where("key_id", "=", keyId).executeTakeFirstOrThrow();
    return { keyId, retired: active.map((r) => r.key_id), verifierKey: verifierKeyOf(row) };
  });
}

export function signerOf(masterKey: Buffer, row: AuditLogKeyTable): NoteSigner {
  const seed = openPrivateKey(masterKey, AAD_PREFIX + row.key_id, row.private_key_enc);
  const signer = makeSigner(row.name, KEY_TYPE_ED25519, ed25519PrivateFromSeed(seed));
  if (signer.keyId.toString(16).padStart(8, "0") !== row.key_id) throw new Error(`audit log key ${row.key_id} does not match its public key`);
  return signer;
}

export function verifierKeyOf(row: Pick<AuditLogKeyTable, "key_id" | "name" | "public_key">): string {
  return formatVerifierKey({ name: row.name, keyId: Number.parseInt(row.key_id, 16), type: KEY_TYPE_ED25519, raw: Buffer.from(row.public_key, "base64") });
}

/** The active key's signer; read before a transaction opens (SQLite has one connection). */
export async function loadLogSigner(db: Db, config: Pick<Config, "secret" | "dataDir">): Promise<NoteSigner> {
  const row = await db.selectFrom("audit_log_keys").selectAll().where("retired_at", "is", null).orderBy("created_at", "desc").executeTakeFirst();
  if (!row) throw new Error("no active audit log key");
  return signerOf(loadMasterKey(config), row);
}

/** Every verifier key, the active one first, then retired ones newest first. */
export async function listVerifierKeys(db: Queryable): Promise<{ verifierKey: string; keyId: string; createdAt: string; retiredAt: string | null }[]> {
  const rows = await db.selectFrom("audit_log_keys").selectAll().execute();
  rows.sort((a, b) => (a.retired_at === null ? -1 : b.retired_at === null ? 1 : b.created_at.localeCompare(a.created_at)));
  return rows.map((r) => ({ verifierKey: verifierKeyOf(r), keyId: r.key_id, createdAt: r.created_at, retiredAt: r.retired_at }));
}
