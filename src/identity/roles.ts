import type { Verification } from "./step-up/step-up-policy.js";

export const providerRoles = ["engineer", "manager", "provider_admin"] as const;
export const tenantRoles = ["global_admin", "lockbox_approver", "auditor"] as const;
export type ProviderRole = (typeof providerRoles)[number];
export type TenantRole = (typeof tenantRoles)[number];
export type Role = ProviderRole | TenantRole;
export const allRoles: readonly Role[] = [...providerRoles, ...tenantRoles];

export interface User {
  id: string;
  /** null for provider staff; a user belongs to the provider or to exactly one tenant. */
  tenantId: string | null;
  email: string;
  name: string;
  roles: Role[];
  /** "removed" rows are kept for the audit and foreign keys but never listed or signed in. */
  status: "invited" | "active" | "deactivated" | "removed";
  createdAt: string;
}

/** Who is calling a use case, and from where (the IP goes into the audit). */
export interface Caller {
  user: User;
  ip?: string;
  /** Set by step-up on protected routes: how presence was proved, for the audit (SPEC 14). */
  verification?: Verification;
  /**
   * Step-up deferred to the passkey signature in the body (SPEC 14 with 15): set by the guard, and
   * replaced by `verification` once verifySignedDecision verified the assertion. While still set,
   * verificationDetails refuses (step_up_required), so no decision is written on it.
   */
  stepUpBySignature?: boolean;
}

export function isProviderStaff(user: User): boolean {
  return user.tenantId === null;
}

export function hasRole(user: User, ...roles: Role[]): boolean {
  return user.roles.some((r) => roles.includes(r));
}

/** The customer's deciders: only the tenant's own global admins and lockbox approvers. */
export function isTenantApprover(user: User, tenantId: string): boolean {
  return user.tenantId === tenantId && hasRole(user, "global_admin", "lockbox_approver");
}

/** Roles must belong to the user's org: provider roles for staff, tenant roles for a tenant. */
export function rolesFitOrg(roles: readonly Role[], tenantId: string | null): boolean {
  const allowed: readonly Role[] = tenantId === null ? providerRoles : tenantRoles;
  return roles.every((r) => allowed.includes(r));
}

export function auditActor(caller: Caller) {
  return { type: "user" as const, id: caller.user.id, name: caller.user.name, ...(caller.ip ? { ip: caller.ip } : {}) };
}
