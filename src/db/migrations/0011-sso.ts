import type { Kysely } from "kysely";

/**
 * Single sign-on (SPEC 14): one OpenID Connect identity provider per org, the email domains that
 * route a sign-in to it, and the short-lived state of sign-ins under way.
 * - sso_configs: keyed by org ("provider" or a tenant id); the client secret is encrypted at rest.
 * - sso_domains: a domain routes to exactly one org (primary key), so `?email=` is never ambiguous.
 * - sso_logins: one row per started sign-in (state hashed, nonce, PKCE verifier); deleted on use,
 *   so a state works once, and ignored after its expiry.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("sso_configs")
    .addColumn("org", "text", (c) => c.primaryKey()) // "provider" or a tenant id
    .addColumn("tenant_id", "text", (c) => c.references("tenants.id")) // null: the provider's
    .addColumn("issuer", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("client_secret", "text", (c) => c.notNull()) // AES-256-GCM, never returned
    .addColumn("scopes", "text", (c) => c.notNull()) // JSON string[]
    .addColumn("email_domains", "text", (c) => c.notNull()) // JSON string[]
    .addColumn("role_claim", "text")
    .addColumn("role_map", "text", (c) => c.notNull()) // JSON {claim value: Role[]}
    .addColumn("jit_provisioning", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("require_sso", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("break_glass_email", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("sso_domains")
    .addColumn("domain", "text", (c) => c.primaryKey())
    .addColumn("org", "text", (c) => c.notNull().references("sso_configs.org").onDelete("cascade"))
    .execute();
  await db.schema
    .createTable("sso_logins")
    .addColumn("state_hash", "text", (c) => c.primaryKey())
    .addColumn("org", "text", (c) => c.notNull())
    .addColumn("nonce", "text", (c) => c.notNull())
    .addColumn("code_verifier", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sso_logins_expiry").on("sso_logins").columns(["expires_at"]).execute();
}
