import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { addMinutes } from "../clock.js";
import { sql } from "kysely";
import { isPostgres } from "../db/dialect.js";
import type { Db, Queryable, SigningKeyTable } from "../db/schema.js";
import { openPrivateKey, sealPrivateKey } from "./master-key.js";

/**
 * Signing keys in the database, shared by every instance. One key is active (the newest not
 * retired); retired keys stay published until `publish_until`, by which time every token they
 * signed has expired. Rows are never deleted: audit checkpoints signed long ago stay verifiable.
 */
export interface SigningKeyInfo {
  kid: string;
  createdAt: string;
  retiredAt: string | null;
  publishUntil: string | null;
  /** "active" signs; "published" verifies only; "unpublished" left the JWKS (its tokens are all expired). */
  state: "active" | "published" | "unpublished";
}

/**
 * Slack added to a retired key's publication on top of the longest token life: covers an
 * instance that signs with the old key until it reloads the key set (KEY_RELOAD_MS) and clock skew.
 */
export const RETIRED_KEY_SLACK_MINUTES = 5;

export function keyState(row: SigningKeyTable, now: Date): SigningKeyInfo["state"] {
  if (!row.retired_at) return "active";
  return row.publish_until && row.publish_until > now.toISOString() ? "published" : "unpublished";
}

export async function listSigningKeys(db: Db, now: Date): Promise<SigningKeyInfo[]> {
  const rows = await db.selectFrom("signing_keys").selectAll().orderBy("created_at", "desc").orderBy("kid").execute();
  return rows.map((r) => ({
    kid: r.kid,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
    publishUntil: r.publish_until,
    state: keyState(r, now),
  }));
}

async function insertKey(db: Queryable, masterKey: Buffer, now: Date): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: "EdDSA", use: "sig" };
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  await db
    .insertInto("signing_keys")
    .values({
      kid,
      public_jwk: JSON.stringify(publicJwk),
      private_key_enc: sealPrivateKey(masterKey, kid, pkcs8),
      created_at: now.toISOString(),
      retired_at: null,
      publish_until: null,
    })
    .execute();
  return kid;
}

/** Creates the first key on first start; does nothing when an active key exists. */
export async function ensureSigningKey(db: Db, masterKey: Buffer, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Instances started together on an empty PostgreSQL database create one key: the second
    // waits for the first to commit, then finds its key.
    if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext('lockbox_signing_keys'))`.execute(trx);
    const active = await trx.selectFrom("signing_keys").select("kid").where("retired_at", "is", null).executeTakeFirst();
    if (!active) await insertKey(trx, masterKey, now);
  });
}

/**
 * Retires every active key and creates a new one. A retired key stays in the JWKS for the longest
 * a token can live (the provider's access cap) plus slack, so no valid token loses its key.
 */
export async function rotateSigningKey(
  db: Db,
  masterKey: Buffer,
  now: Date,
  maxAccessMinutes: number,
): Promise<{ kid: string; retired: string[]; publishUntil: string }> {
  const publishUntil = addMinutes(now, maxAccessMinutes + RETIRED_KEY_SLACK_MINUTES).toISOString();
  const retired = await db.selectFrom("signing_keys").select(["kid", "private_key_enc"]).where("retired_at", "is", null).execute();
  // A new key sealed under another secret would stop every server that holds the right one.
  for (const row of retired) privateKeyOf(masterKey, row);
  await db
    .updateTable("signing_keys")
    .set({ retired_at: now.toISOString(), publish_until: publishUntil })
    .where("retired_at", "is", null)
    .execute();
  const kid = await insertKey(db, masterKey, now);
  return { kid, retired: retired.map((r) => r.kid), publishUntil };
}

export function privateKeyOf(masterKey: Buffer, row: Pick<SigningKeyTable, "kid" | "private_key_enc">): KeyObject {
  return createPrivateKey({ key: openPrivateKey(masterKey, row.kid, row.private_key_enc), format: "der", type: "pkcs8" });
}
