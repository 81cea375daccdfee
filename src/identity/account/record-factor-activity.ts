import { type AuditEntry, appendAudit } from "../../audit/append-audit.js";
import { providerChain, tenantChain } from "../../audit/audit-event.js";
import type { Tx } from "../../db/schema.js";

/**
 * Enrolling or removing a sign-in factor (passkey, TOTP) changes who can act as this person, so
 * it lands in the user's org chain whatever "Record user and admin activity" says (SPEC 14):
 * unlike a sign-in, it is not the tenant's to switch off.
 */
export async function recordFactorActivity(trx: Tx, tenantId: string | null, entry: Omit<AuditEntry, "chain">): Promise<void> {
  await appendAudit(trx, { ...entry, chain: tenantId === null ? providerChain : tenantChain(tenantId) });
}
