import { appendAudit } from "../audit/append-audit.js";
import { tenantChain } from "../audit/audit-event.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField } from "../errors.js";
import { requireSigningApprovers } from "../approvals/signing-approvers.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import { verificationDetails } from "../identity/step-up/step-up-policy.js";
import { findVisibleTenant } from "./tenant-queries.js";
import {
  MAX_BREAK_GLASS_MINUTES,
  MAX_REQUIRED_APPROVALS,
  MIN_WINDOW_MINUTES,
  settingsColumns,
  settingsOf,
  type TenantSettings,
} from "./tenant-settings.js";

/** How often a PATCH re-reads and re-applies itself after a concurrent change; then 409. */
const MAX_ATTEMPTS = 5;

/** Another settings change committed between our read and our write: start again. */
class StaleSettings extends Error {}

/**
 * Only the tenant's own global admin changes its lockbox settings; the provider never does, or
 * it could switch off the very approval that binds it.
 *
 * Compare-and-set, like decisions: the write names only the changed columns and lands only if
 * no setting moved since it was read; otherwise the PATCH re-reads and applies itself again.
 * Two PATCHes of different fields therefore both land (neither writes back the other's stale
 * value) and each is audited with what it changed; and the rules that span fields — lockbox
 * never on while auditing is off — are checked against what is really stored, so a PATCH turning
 * auditing off cannot race one turning lockbox on into a state neither would be allowed.
 */
export async function updateTenantSettings(
  deps: Deps,
  caller: Caller,
  tenantId: string,
  patch: Partial<TenantSettings>,
): Promise<TenantSettings> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applySettings(deps, caller, tenantId, patch);
    } catch (err) {
      if (!(err instanceof StaleSettings)) throw err;
      if (attempt >= MAX_ATTEMPTS) throw new AppError("conflict", "the settings changed meanwhile; try again");
    }
  }
}

async function applySettings(deps: Deps, caller: Caller, tenantId: string, patch: Partial<TenantSettings>): Promise<TenantSettings> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await findVisibleTenant(trx, caller.user, tenantId);
    if (isProviderStaff(caller.user)) throw forbidden("the provider cannot change a tenant's lockbox settings");
    if (!hasRole(caller.user, "global_admin")) throw forbidden("only a global admin changes tenant settings");

    const before = settingsOf(row);
    const after: TenantSettings = { ...before, ...patch };
    await checkSettings(trx, deps, before, after);
    if (after.requireSignedApprovals) await requireSigningApprovers(trx, tenantId, after.requiredApprovals);

    const changed = (Object.keys(patch) as (keyof TenantSettings)[]).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
    if (changed.length === 0) return after;
    const columnsBefore = settingsColumns(before);
    const columnsAfter = settingsColumns(after);
    const columns = Object.keys(columnsAfter) as (keyof typeof columnsAfter)[];
    const write = Object.fromEntries(columns.filter((c) => columnsAfter[c] !== columnsBefore[c]).map((c) => [c, columnsAfter[c]]));
    let update = trx.updateTable("tenants").set(write).where("id", "=", tenantId);
    // Compared with the stored values as read (not re-serialized), so only a real change misses.
    for (const c of columns) update = update.where(c, "=", row[c]);
    const { numUpdatedRows } = await update.executeTakeFirst();
    if (Number(numUpdatedRows) !== 1) throw new StaleSettings();

    // Setting changes are tenant admin activity: recorded while auditing is on, including the
    // change that turns it off.
    if (before.auditingEnabled || after.auditingEnabled) {
      await appendAudit(trx, {
        chain: tenantChain(tenantId),
        at: now,
        operation: "tenant.settings_changed",
        actor: auditActor(caller),
        target: { type: "tenant", id: tenantId },
        details: {
          changes: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: after[k] }])),
          ...verificationDetails(caller),
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
  if (after.breakGlass.maxMinutes < 1 || after.breakGlass.maxMinutes > MAX_BREAK_GLASS_MINUTES) {
    throw invalidField("breakGlass.maxMinutes", `must be between 1 and ${MAX_BREAK_GLASS_MINUTES}`);
  }
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
