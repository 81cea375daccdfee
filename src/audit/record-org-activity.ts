import type { Tx } from "../db/schema.js";
import { type AuditEntry, appendAudit } from "./append-audit.js";
import { providerChain, tenantChain } from "./audit-event.js";

/**
 * Administrative activity (sign-ins, users, roles, settings, tokens) of one org. The provider's
 * always lands in the `provider` chain. A tenant's lands in its chain only while the tenant has
 * "Record user and admin activity" (auditingEnabled) on; lockbox workflow and operator events do
 * not come through here and are recorded always.
 */
export async function recordOrgActivity(trx: Tx, tenantId: string | null, entry: Omit<AuditEntry, "chain">): Promise<void> {
  if (tenantId === null) {
    await appendAudit(trx, { ...entry, chain: providerChain });
    return;
  }
  const tenant = await trx
    .selectFrom("tenants")
    .select("auditing_enabled")
    .where("id", "=", tenantId)
    .executeTakeFirst();
  if (tenant?.auditing_enabled) await appendAudit(trx, { ...entry, chain: tenantChain(tenantId) });
}

/**
 * Who joins an org is witnessed whatever its settings: a tenant's `user.created` and
 * `user.activated` land in the tenant's chain even while auditingEnabled is off, and in the
 * provider chain too (with `details.tenantId`), so the first admin's activation — made before
 * anyone could turn auditing on — is on record on both sides. The provider's own go to the
 * provider chain once.
 */
export async function recordMembershipActivity(trx: Tx, tenantId: string | null, entry: Omit<AuditEntry, "chain">): Promise<void> {
  if (tenantId === null) {
    await appendAudit(trx, { ...entry, chain: providerChain });
    return;
  }
  await appendAudit(trx, { ...entry, chain: tenantChain(tenantId) });
  await appendAudit(trx, { ...entry, chain: providerChain, details: { ...entry.details, tenantId } });
}
