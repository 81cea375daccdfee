import { appendAudit } from "../audit/append-audit.js";
import { providerChain } from "../audit/audit-event.js";
import { recordMembershipActivity } from "../audit/record-org-activity.js";
import type { Deps } from "../deps.js";
import { forbidden } from "../errors.js";
import { newId } from "../ids.js";
import { createInvitation, type Invitation } from "../identity/invitations.js";
import { insertUser } from "../identity/manage-users.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import type { Tenant } from "./tenant-queries.js";
import { defaultSettings, settingsColumns } from "./tenant-settings.js";

/** Onboards a customer: the tenant, with default settings, and an invited first global admin. */
export async function createTenant(
  deps: Deps,
  caller: Caller,
  input: { name: string; adminEmail: string },
): Promise<{ tenant: Tenant; invitation: Invitation }> {
  if (!isProviderStaff(caller.user) || !hasRole(caller.user, "provider_admin")) throw forbidden();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const tenant: Tenant = { id: newId(), name: input.name, createdAt: now.toISOString() };
    await trx
      .insertInto("tenants")
      .values({ id: tenant.id, name: tenant.name, created_at: tenant.createdAt, ...settingsColumns(defaultSettings(deps.config)) })
      .execute();
    const admin = await insertUser(
      trx,
      { email: input.adminEmail, name: input.adminEmail.split("@")[0]!, roles: ["global_admin"], tenantId: tenant.id },
      now,
    );
    await appendAudit(trx, {
      chain: providerChain,
      at: now,
      operation: "tenant.created",
      actor: auditActor(caller),
      target: { type: "tenant", id: tenant.id },
      details: { name: tenant.name, adminEmail: admin.email, adminId: admin.id },
    });
    // The first admin is witnessed like every user (tenant and provider chain, auditing on or off).
    await recordMembershipActivity(trx, tenant.id, {
      at: now,
      operation: "user.created",
      actor: auditActor(caller),
      target: { type: "user", id: admin.id },
      details: { email: admin.email, roles: admin.roles },
    });
    return { tenant, invitation: await createInvitation(trx, deps, admin.id, now) };
  });
}
