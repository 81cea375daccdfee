import { type Kysely, sql } from "kysely";

/**
 * Step-up (SPEC 14):
 * - tenants.require_mfa_for_decisions: decisions and security settings need a fresh second
 *   factor. Tenants that exist when this runs keep working as before (0): turning it on for them
 *   would refuse every approver who has not enrolled a factor yet. New tenants get 1 from
 *   createTenant, which is why the column's default here is 0 and not the product's default.
 * - provider_settings: the provider org's own settings, one row keyed "provider" (default off).
 * - step_up_verifications: a fresh verification, held by one session ("session:<id hash>") or one
 *   personal API token ("token:<hash>"), never by the user as a whole; replaced by the next one,
 *   ignored after `expires_at` and swept when another is recorded.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("tenants")
    .addColumn("require_mfa_for_decisions", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable("provider_settings")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("require_mfa_for_decisions", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await sql`insert into provider_settings (id, require_mfa_for_decisions, updated_at) values ('provider', 0, ${new Date().toISOString()})`.execute(db);
  await db.schema
    .createTable("step_up_verifications")
    .addColumn("holder", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
    .addColumn("method", "text", (c) => c.notNull()) // "passkey" | "totp" | "recovery_code"
    .addColumn("credential_id", "text") // the passkey's, base64url
    .addColumn("verified_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("step_up_verifications_expiry_idx").on("step_up_verifications").column("expires_at").execute();
}
