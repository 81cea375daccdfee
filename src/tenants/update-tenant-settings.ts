import { appendAudit } from "../audit/append-audit.js";
import { tenantChain } from "../audit/audit-event.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import { findVisibleTenant } from "./tenant-queries.js";
import {
  MAX_REQUIRED_APPROVALS,
  MIN_WINDOW_MINUTES,
  settingsColumns,
  settingsOf,
  type TenantSettings,
} from "./tenant-settings.js";

/**
 * Only the tenant's own global admin changes its lockbox settings; the provider never does, or
 * it could switch off the very approval that binds it.
 */
export async function updateTenantSettings(
  deps: Deps,
  caller: Caller,
  tenantId: string,
  patch: Partial<TenantSettings>,
): Promise<TenantSettings> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await findVisibleTenant(trx, caller.user, tenantId);
    if (isProviderStaff(caller.user)) throw forbidden("the provider cannot change a tenant's lockbox settings");
    if (!hasRole(caller.user, "global_admin")) throw forbidden("only a global admin changes tenant settings");

    const before = settingsOf(row);
    const after: TenantSettings = { ...before, ...patch };
    await checkSettings(trx, deps, before, after);
    await trx.updateTable("tenants").set(settingsColumns(after)).where("id", "=", tenantId).execute();

    const changed = (Object.keys(patch) as (keyof TenantSettings)[]).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
    // Setting changes are tenant admin activity: recorded while auditing is on, including the
    // change that turns it off.
    if (changed.length > 0 && (before.auditingEnabled || after.auditingEnabled)) {
      await appendAudit(trx, {
        chain: tenantChain(tenantId),
        at: now,
        operation: "tenant.settings_changed",
        actor: auditActor(caller),
        target: { type: "tenant", id: tenantId },
        details: {
          changes: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: after[k] }])),
        },
      });
    }
    return after;
  });
}

async function checkSettings(
  trx: Parameters<typeof findVisibleTenant>[0],
  deps: Deps,
  before: TenantSettings,
  after: TenantSettings,
): Promise<void> {
  const { maxApprovalWindowMinutes, maxAccessMinutes } = deps.config;
  const inRange = (field: keyof TenantSettings, value: number, min: number, max: number) => {
    if (value < min || value > max) throw invalidField(field, `must be between ${min} and ${max}`);
  };
  inRange("approvalWindowMinutes", after.approvalWindowMinutes, MIN_WINDOW_MINUTES, maxApprovalWindowMinutes);
  inRange("maxAccessMinutes", after.maxAccessMinutes, MIN_WINDOW_MINUTES, maxAccessMinutes);
  inRange("requiredApprovals", after.requiredApprovals, 1, MAX_REQUIRED_APPROVALS);
  if (after.protectedServices !== "all") {
    const keys = after.protectedServices;
    const known = keys.length
      ? await trx.selectFrom("services").select("key").where("key", "in", keys).execute()
      : [];
    const unknown = keys.filter((k) => !known.some((s) => s.key === k));
    if (unknown.length) throw invalidField("protectedServices", `unknown service: ${unknown.join(", ")}`);
  }
  if (after.lockboxEnabled && !after.auditingEnabled) {
    const message = before.lockboxEnabled
      ? "auditing cannot be turned off while lockbox is on"
      : "turn on auditing (auditingEnabled) before requiring approval";
    throw new AppError("auditing_required", message);
  }
}
