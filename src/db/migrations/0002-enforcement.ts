import type { Kysely } from "kysely";

/** Enforcement: signing keys, service credentials and the revocations feed. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("signing_keys")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("public_jwk", "text", (c) => c.notNull())
    // AES-256-GCM of the PKCS#8 private key under the key from LOCKBOX_SECRET or the key file.
    .addColumn("private_key_enc", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("retired_at", "text")
    // Retired keys stay in the JWKS until then (the last token they signed has expired).
    .addColumn("publish_until", "text")
    .execute();

  await db.schema
    .createTable("service_credentials")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .execute();

  // `cursor` is assigned as max + 1 under a table lock (see record-revocation.ts), so it grows in
  // commit order and a reader that has seen cursor N never later finds a row below N.
  await db.schema
    .createTable("revocations")
    .addColumn("cursor", "integer", (c) => c.primaryKey())
    .addColumn("request_id", "text", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("revocations_at").on("revocations").columns(["at"]).execute();
}
