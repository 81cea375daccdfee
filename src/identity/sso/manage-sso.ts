import { appendAudit } from "../../audit/append-audit.js";
import { providerChain, tenantChain } from "../../audit/audit-event.js";
import type { Deps } from "../../deps.js";
import { AppError, invalidField, notFound } from "../../errors.js";
import { assertWebhookUrl } from "../../notify/ssrf-guard.js";
import { sealWebhookSecret, webhookSecretKey } from "../../notify/webhook-secrets.js";
import { auditActor, type Caller, type Role, rolesFitOrg } from "../roles.js";
import { findUserRowsByEmail } from "../user-queries.js";
import type { OidcClients } from "./oidc-client.js";
import {
  authorizeSsoAdmin,
  findSsoConfigRow,
  type SsoConfig,
  ssoSecretAad,
  tenantIdOfOrg,
  toSsoConfig,
} from "./sso-config.js";

export interface PutSsoInput {
  issuer: string;
  clientId: string;
  /** Required the first time; left out, an update keeps the stored secret. */
  clientSecret?: string;
  scopes?: string[];
  emailDomains: string[];
  roleClaim?: string | null;
  roleMap?: Record<string, Role[]>;
  jitProvisioning: boolean;
  requireSso: boolean;
  breakGlassEmail?: string | null;
}

const DEFAULT_SCOPES = ["openid", "email", "profile"];
const chainOf = (org: string) => (tenantIdOfOrg(org) === null ? providerChain : tenantChain(org));

/** The org's IdP, or null when it has none (not 404: "none" is a normal answer for an org). */
export async function getSsoConfig(deps: Deps, caller: Caller, org: string): Promise<SsoConfig | null> {
  authorizeSsoAdmin(caller, org);
  const row = await findSsoConfigRow(deps.db, org);
  return row ? toSsoConfig(row) : null;
}

/**
 * Configures (or replaces) the org's IdP. Checked before anything is stored: the issuer is a
 * public https URL whose discovery document names it (so a typo is refused now, not at the first
 * sign-in), every mapped role belongs to the org, each email domain routes to no other org, and
 * "require SSO" names an active admin who may still sign in with a password. Audited in the org's
 * chain whatever its auditing setting — who signs the org in is security configuration — without
 * the secret.
 */
export async function putSsoConfig(deps: Deps, clients: OidcClients, caller: Caller, org: string, input: PutSsoInput): Promise<SsoConfig> {
  authorizeSsoAdmin(caller, org);
  const tenantId = tenantIdOfOrg(org);
  const roleMap = input.roleMap ?? {};
  for (const [value, roles] of Object.entries(roleMap)) {
    if (!rolesFitOrg(roles, tenantId)) throw invalidField("roleMap", `${JSON.stringify(value)} maps to roles that are not ${tenantId === null ? "provider" : "tenant"} roles`);
  }
  if (input.jitProvisioning && (!input.roleClaim || Object.keys(roleMap).length === 0)) {
    throw invalidField("roleMap", "just-in-time provisioning needs roleClaim and at least one roleMap entry (a new user gets only mapped roles)");
  }
  const domains = [...new Set(input.emailDomains.map((d) => d.toLowerCase()))];
  const breakGlass = input.breakGlassEmail?.toLowerCase() ?? null;
  if (input.requireSso) await assertBreakGlassAdmin(deps, tenantId, breakGlass);
  await assertIssuer(input.issuer, deps.config.webhookAllowPrivate);

  const existing = await findSsoConfigRow(deps.db, org);
  const sealed = input.clientSecret ? sealWebhookSecret(webhookSecretKey(deps.config), ssoSecretAad(org), input.clientSecret) : existing?.client_secret;
  if (!sealed) throw invalidField("clientSecret", "is required when the sign-in is first configured");
  // The stored secret is never sent to another issuer: whoever changes the IdP supplies its secret.
  if (!input.clientSecret && existing && existing.issuer !== input.issuer) throw invalidField("clientSecret", "is required when the issuer changes");
  if (input.clientSecret || !existing || existing.issuer !== input.issuer || existing.client_id !== input.clientId) {
    await clients.discover(input.issuer, input.clientId, input.clientSecret ?? "unused").catch((err: Error) => {
      deps.log.info({ org, issuer: input.issuer, err: err.message }, "sso: issuer discovery failed");
      throw invalidField("issuer", "its OpenID discovery document (/.well-known/openid-configuration) could not be read or names another issuer");
    });
  }
  const scopes = [...new Set(["openid", ...(input.scopes ?? DEFAULT_SCOPES)])];
  const now = deps.clock.now();
  const row = {
    org,
    tenant_id: tenantId,
    issuer: input.issuer,
    client_id: input.clientId,
    client_secret: sealed,
    scopes: JSON.stringify(scopes),
    email_domains: JSON.stringify(domains),
    role_claim: input.roleClaim ?? null,
    role_map: JSON.stringify(roleMap),
    jit_provisioning: input.jitProvisioning ? 1 : 0,
    require_sso: input.requireSso ? 1 : 0,
    break_glass_email: breakGlass,
    updated_at: now.toISOString(),
  };
  const config = toSsoConfig(row);
  await deps.db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom("sso_domains").select(["domain", "org"]).where("domain", "in", domains).where("org", "<>", org).executeTakeFirst();
    if (taken) throw new AppError("conflict", `the email domain ${taken.domain} already signs in through another organization`, [{ field: "emailDomains" }]);
    await trx.deleteFrom("sso_domains").where("org", "=", org).execute();
    await trx.deleteFrom("sso_configs").where("org", "=", org).execute();
    await trx.insertInto("sso_configs").values(row).execute();
    // The primary key settles two orgs claiming one domain at the same moment.
    await trx
      .insertInto("sso_domains")
      .values(domains.map((domain) => ({ domain, org })))
      .execute()
      .catch(() => {
        throw new AppError("conflict", "an email domain already signs in through another organization", [{ field: "emailDomains" }]);
      });
    const { updatedAt: _u, org: _o, tenantId: _t, ...content } = config;
    await appendAudit(trx, {
      chain: chainOf(org),
      at: now,
      operation: "org.sso_configured",
      actor: auditActor(caller),
      target: { type: "org", id: org },
      details: { ...content, clientSecretChanged: Boolean(input.clientSecret) },
    });
  });
  clients.forget(org);
  return config;
}

export async function deleteSsoConfig(deps: Deps, clients: OidcClients, caller: Caller, org: string): Promise<void> {
  authorizeSsoAdmin(caller, org);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("sso_domains").where("org", "=", org).execute();
    const gone = await trx.deleteFrom("sso_configs").where("org", "=", org).executeTakeFirst();
    if (Number(gone.numDeletedRows) !== 1) throw notFound("sign-in configuration");
    await trx.deleteFrom("sso_logins").where("org", "=", org).execute();
    await appendAudit(trx, {
      chain: chainOf(org),
      at: now,
      operation: "org.sso_removed",
      actor: auditActor(caller),
      target: { type: "org", id: org },
    });
  });
  clients.forget(org);
}

/** With "require SSO", one admin must keep a password, or an IdP outage locks the org out. */
async function assertBreakGlassAdmin(deps: Deps, tenantId: string | null, email: string | null): Promise<void> {
  if (!email) throw invalidField("breakGlassEmail", "requireSso needs one break-glass admin who may still sign in with a password");
  const rows = await findUserRowsByEmail(deps.db, email, 10);
  const row = rows.find((r) => r.tenant_id === tenantId && r.status === "active");
  const adminRole: Role = tenantId === null ? "provider_admin" : "global_admin";
  if (!row || !(JSON.parse(row.roles) as Role[]).includes(adminRole)) {
    throw invalidField("breakGlassEmail", `must be an active ${adminRole} of this organization`);
  }
}

async function assertIssuer(issuer: string, allowPrivate: boolean): Promise<void> {
  const url = await assertWebhookUrl(issuer, allowPrivate).catch((err: AppError) => {
    throw invalidField("issuer", err.message.replace(/^url: /, ""));
  });
  if (url.protocol !== "https:" && !allowPrivate) throw invalidField("issuer", "must be an https URL");
  if (url.search || url.hash) throw invalidField("issuer", "must not carry a query or fragment");
}
