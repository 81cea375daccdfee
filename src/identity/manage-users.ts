import { recordMembershipActivity, recordOrgActivity } from "../audit/record-org-activity.js";
import { auditActor, type Caller, hasRole, isProviderStaff, type Role, rolesFitOrg, type User } from "./roles.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { decodeCursor, type Page, toPage } from "../pagination.js";
import { createInvitation, type Invitation } from "./invitations.js";
import { adminRoleOf, refuseLastAdmin } from "./managed-user.js";
import { findUserById, toUser } from "./user-queries.js";

/**
 * Which org's users the caller administers: provider admins manage provider staff, a tenant's
 * global admins manage that tenant. Nobody else manages users, and the provider never manages a
 * tenant's users (it would let the provider act for the customer).
 */
export function administeredOrg(caller: Caller): string | null {
  const u = caller.user;
  if (isProviderStaff(u) ? hasRole(u, "provider_admin") : hasRole(u, "global_admin")) return u.tenantId;
  throw forbidden();
}

export async function createUser(
  deps: Deps,
  caller: Caller,
  input: { email: string; name: string; roles: Role[]; tenantId?: string | null },
): Promise<{ user: User; invitation: Invitation }> {
  const org = administeredOrg(caller);
  const tenantId = input.tenantId === undefined ? org : input.tenantId;
  if (tenantId !== org) {
    if (org === null) throw forbidden("the provider cannot create users in a tenant; the tenant's global admin does");
    throw notFound("tenant");
  }
  if (!rolesFitOrg(input.roles, org)) throw invalidField("roles", `roles must be ${org === null ? "provider" : "tenant"} roles`);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const user = await insertUser(trx, { email: input.email, name: input.name, roles: input.roles, tenantId: org }, now);
    // Witnessed in the tenant's and the provider's chain whatever auditingEnabled says.
    await recordMembershipActivity(trx, org, {
      at: now,
      operation: "user.created",
      actor: auditActor(caller),
      target: { type: "user", id: user.id },
      details: { email: user.email, roles: user.roles },
    });
    return { user, invitation: await createInvitation(trx, deps, user.id, now) };
  });
}

/**
 * Inserts an invited user. The email is unique within its org only (the provider is one org): a
 * duplicate in another org is neither refused nor revealed, so no tenant admin learns who exists
 * elsewhere or can squat the address of the provider's next customer. The (org, email) unique
 * index (migration 0006) backs this check when two creations race.
 */
export async function insertUser(
  trx: Parameters<typeof createInvitation>[0],
  input: { email: string; name: string; roles: Role[]; tenantId: string | null; passwordHash?: string },
  now: Date,
): Promise<User> {
  const email = input.email.toLowerCase();
  const taken = await trx
    .selectFrom("users")
    .select("id")
    .where("email", "=", email)
    .where((eb) => (input.tenantId === null ? eb("tenant_id", "is", null) : eb("tenant_id", "=", input.tenantId)))
    .executeTakeFirst();
  if (taken) throw new AppError("email_taken", "a user with this email already exists", [{ field: "email" }]);
  const row = {
    id: newId(),
    tenant_id: input.tenantId,
    email,
    name: input.name,
    roles: JSON.stringify([...new Set(input.roles)]),
    password_hash: input.passwordHash ?? null,
    status: input.passwordHash ? ("active" as const) : ("invited" as const),
    created_at: now.toISOString(),
  };
  try {
    await trx.insertInto("users").values(row).execute();
  } catch (err) {
    // Two creations of one address in one org raced past the check: the index refuses the second.
    if (isUniqueViolation(err)) throw new AppError("email_taken", "a user with this email already exists", [{ field: "email" }]);
    throw err;
  }
  return toUser(row);
}

/** A unique index refused the row: SQLite's and PostgreSQL's (23505) ways of saying so. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505";
}

export async function listUsers(deps: Deps, caller: Caller, q: { cursor?: string; limit: number }): Promise<Page<User>> {
  const org = administeredOrg(caller);
  let query = deps.db
    .selectFrom("users")
    .selectAll()
    .where((eb) => (org === null ? eb("tenant_id", "is", null) : eb("tenant_id", "=", org)))
    // Removed people stay in the table for the audit's and old requests' sake, never in a list.
    .where("status", "!=", "removed")
    .orderBy("created_at")
    .orderBy("id")
    .limit(q.limit + 1);
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor) as [string, string];
    query = query.where((eb) => eb.or([eb("created_at", ">", at), eb.and([eb("created_at", "=", at), eb("id", ">", id)])]));
  }
  return toPage(await query.execute(), q.limit, toUser, (r) => [r.created_at, r.id]);
}

export async function changeUserRoles(deps: Deps, caller: Caller, userId: string, roles: Role[]): Promise<User> {
  const org = administeredOrg(caller);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const target = await findUserById(trx, userId);
    if (!target || target.status === "removed") throw notFound("user");
    if (target.tenantId !== org) {
      if (org === null) throw forbidden("the provider cannot change a tenant user's roles");
      throw notFound("user");
    }
    if (!rolesFitOrg(roles, org)) throw invalidField("roles", `roles must be ${org === null ? "provider" : "tenant"} roles`);
    // Counted under the same lock as deactivate and remove, so no mix of them races past it.
    if (!roles.includes(adminRoleOf(org))) await refuseLastAdmin(trx, org, target, "take the admin role from");
    const next = [...new Set(roles)];
    const unchanged = next.length === target.roles.length && next.every((r) => target.roles.includes(r));
    if (unchanged) return target;
    await trx.updateTable("users").set({ roles: JSON.stringify(next) }).where("id", "=", userId).execute();
    await recordOrgActivity(trx, org, {
      at: now,
      operation: "user.roles_changed",
      actor: auditActor(caller),
      target: { type: "user", id: userId },
      details: { from: target.roles, to: next },
    });
    return { ...target, roles: next };
  });
}
