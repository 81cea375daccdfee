import type { Queryable, SsoConfigTable } from "../../db/schema.js";
import { forbidden, notFound } from "../../errors.js";
import { type Caller, hasRole, isProviderStaff, type Role } from "../roles.js";

/** The provider's key in `/v1/orgs/{org}/sso` and in the sso tables; a tenant's is its id. */
export const PROVIDER_ORG = "provider";

export interface SsoConfig {
  org: string;
  tenantId: string | null;
  issuer: string;
  clientId: string;
  scopes: string[];
  emailDomains: string[];
  roleClaim: string | null;
  roleMap: Record<string, Role[]>;
  jitProvisioning: boolean;
  requireSso: boolean;
  breakGlassEmail: string | null;
  updatedAt: string;
}

export const tenantIdOfOrg = (org: string): string | null => (org === PROVIDER_ORG ? null : org);
export const orgOfTenantId = (tenantId: string | null): string => tenantId ?? PROVIDER_ORG;

/** The client secret is bound to its org as associated data, in its own namespace. */
export const ssoSecretAad = (org: string) => `sso-client:${org}`;

/**
 * An org's IdP is configured by that org alone: the provider's by a provider admin, a tenant's by
 * its global admin. The provider never configures a tenant's IdP (it would let the provider sign
 * in as the customer's approvers): 403. Another tenant's id is 404, as everywhere.
 */
export function authorizeSsoAdmin(caller: Caller, org: string): void {
  const user = caller.user;
  if (org === PROVIDER_ORG) {
    if (!isProviderStaff(user) || !hasRole(user, "provider_admin")) throw forbidden("only a provider admin configures the provider's sign-in");
    return;
  }
  if (isProviderStaff(user)) throw forbidden("only the tenant's global admin configures its sign-in; the provider never does");
  if (user.tenantId !== org) throw notFound("tenant");
  if (!hasRole(user, "global_admin")) throw forbidden("only the tenant's global admin configures its sign-in");
}

export function toSsoConfig(row: SsoConfigTable): SsoConfig {
  return {
    org: row.org,
    tenantId: row.tenant_id,
    issuer: row.issuer,
    clientId: row.client_id,
    scopes: JSON.parse(row.scopes) as string[],
    emailDomains: JSON.parse(row.email_domains) as string[],
    roleClaim: row.role_claim,
    roleMap: JSON.parse(row.role_map) as Record<string, Role[]>,
    jitProvisioning: row.jit_provisioning === 1,
    requireSso: row.require_sso === 1,
    breakGlassEmail: row.break_glass_email,
    updatedAt: row.updated_at,
  };
}

export async function findSsoConfigRow(db: Queryable, org: string): Promise<SsoConfigTable | undefined> {
  return db.selectFrom("sso_configs").selectAll().where("org", "=", org).executeTakeFirst();
}

/** The org whose IdP signs in this address, from its domain (exact match, lower case). */
export async function findSsoOrgByEmail(db: Queryable, email: string): Promise<string | undefined> {
  const domain = emailDomainOf(email);
  if (!domain) return undefined;
  const row = await db.selectFrom("sso_domains").select("org").where("domain", "=", domain).executeTakeFirst();
  return row?.org;
}

export function emailDomainOf(email: string): string | undefined {
  const at = email.lastIndexOf("@");
  if (at < 1 || at === email.length - 1) return undefined;
  return email.slice(at + 1).toLowerCase();
}
