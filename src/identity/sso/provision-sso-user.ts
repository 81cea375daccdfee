import { recordMembershipActivity } from "../../audit/record-org-activity.js";
import type { Tx } from "../../db/schema.js";
import { insertUser } from "../manage-users.js";
import type { Role, User } from "../roles.js";
import { findUserById, toUser } from "../user-queries.js";
import type { SsoConfig } from "./sso-config.js";
import { SsoRefusal } from "./sso-refusal.js";

export interface VerifiedIdentity {
  email: string;
  name: string;
  claims: Record<string, unknown>;
}

/**
 * The Lockbox user an IdP identity signs in as: the account with this email in the IdP's own org
 * and no other — an address may hold accounts in several orgs, and a tenant's IdP must never sign
 * anyone into the provider or another tenant. An invited account becomes active (the IdP has
 * verified the address the invitation went to). Without an account, just-in-time provisioning
 * creates one with the roles the role claim maps to; no mapped role, no account.
 */
export async function findOrProvisionSsoUser(trx: Tx, sso: SsoConfig, identity: VerifiedIdentity, now: Date, ip: string): Promise<User> {
  const row = await trx
    .selectFrom("users")
    .selectAll()
    .where("email", "=", identity.email)
    .where((eb) => (sso.tenantId === null ? eb("tenant_id", "is", null) : eb("tenant_id", "=", sso.tenantId)))
    .executeTakeFirst();
  if (row) {
    if (row.status === "active") return toUser(row);
    if (row.status !== "invited") throw new SsoRefusal("user_deactivated", `the account ${identity.email} is ${row.status}`);
    const activated = await trx.updateTable("users").set({ status: "active" }).where("id", "=", row.id).where("status", "=", "invited").executeTakeFirst();
    if (Number(activated.numUpdatedRows) !== 1) throw new SsoRefusal("user_deactivated", `the account ${identity.email} changed while signing in`);
    const user = (await findUserById(trx, row.id))!;
    await recordMembershipActivity(trx, user.tenantId, {
      at: now,
      operation: "user.activated",
      actor: { type: "user", id: user.id, name: user.name, ip },
      target: { type: "user", id: user.id },
      details: { method: "oidc" },
    });
    return user;
  }
  if (!sso.jitProvisioning) throw new SsoRefusal("user_not_provisioned", `${identity.email} has no account in this organization`);
  const roles = mappedRoles(sso, identity.claims);
  if (roles.length === 0) throw new SsoRefusal("no_mapped_role", `no value of the claim ${sso.roleClaim ?? "(none)"} maps to a role`);
  const created = await insertUser(trx, { email: identity.email, name: identity.name, roles, tenantId: sso.tenantId }, now);
  await trx.updateTable("users").set({ status: "active" }).where("id", "=", created.id).execute();
  const user: User = { ...created, status: "active" };
  // Witnessed in the org's (and for a tenant the provider's) chain whatever auditingEnabled says.
  await recordMembershipActivity(trx, user.tenantId, {
    at: now,
    operation: "user.created",
    actor: { type: "system", id: "sso", name: `single sign-on (${sso.issuer})` },
    target: { type: "user", id: user.id },
    details: { email: user.email, roles: user.roles, method: "oidc_jit" },
  });
  return user;
}

/** The roles of every value of the role claim (a string or an array of strings) in the map. */
export function mappedRoles(sso: SsoConfig, claims: Record<string, unknown>): Role[] {
  if (!sso.roleClaim) return [];
  const raw = claims[sso.roleClaim];
  const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === "string");
  const roles = new Set<Role>();
  for (const value of values) {
    // Own properties only: a claim value like "__proto__" or "constructor" maps to nothing.
    if (Object.hasOwn(sso.roleMap, value)) for (const role of sso.roleMap[value]!) roles.add(role);
  }
  return [...roles];
}
