import type { Kysely } from "kysely";

/**
 * Passkeys and TOTP (SPEC 14):
 * - passkeys: one row per WebAuthn credential. The public key is kept as the authenticator gave
 *   it (COSE, base64url, what verification needs) and as a JWK (what the audit shows and any
 *   other verifier reads). `credential_id` is unique across users: a credential belongs to one.
 * - webauthn_challenges: every challenge handed out, deleted when used (so it works once) and
 *   refused after `expires_at`. A registration challenge names its user; a sign-in one does not.
 * - totp_factors: at most one per user; `secret` is AES-256-GCM sealed, `confirmed_at` null while
 *   pending; `last_time_step` is the newest 30-second step a code was accepted for (no replay).
 * - recovery_codes: ten per confirmed factor, SHA-256 hashed, `used_at` set on use.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("passkeys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("credential_id", "text", (c) => c.notNull().unique())
    .addColumn("public_key", "text", (c) => c.notNull())
    .addColumn("public_key_jwk", "text", (c) => c.notNull())
    .addColumn("algorithm", "integer", (c) => c.notNull())
    .addColumn("counter", "bigint", (c) => c.notNull()) // uint32; pg answers bigint as a string
    .addColumn("transports", "text", (c) => c.notNull()) // JSON string[]
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("last_used_at", "text")
    .execute();
  await db.schema.createIndex("passkeys_user_idx").on("passkeys").column("user_id").execute();

  await db.schema
    .createTable("webauthn_challenges")
    .addColumn("challenge", "text", (c) => c.primaryKey())
    .addColumn("purpose", "text", (c) => c.notNull()) // "register" | "sign_in"
    .addColumn("user_id", "text")
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("webauthn_challenges_expiry_idx").on("webauthn_challenges").column("expires_at").execute();

  await db.schema
    .createTable("totp_factors")
    .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id"))
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("confirmed_at", "text")
    .addColumn("last_time_step", "integer")
    .execute();

  await db.schema
    .createTable("recovery_codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("code_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .execute();
  await db.schema.createIndex("recovery_codes_user_idx").on("recovery_codes").columns(["user_id", "code_hash"]).execute();
}
