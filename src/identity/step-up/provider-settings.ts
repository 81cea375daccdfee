import { appendAudit } from "../../audit/append-audit.js";
import { providerChain } from "../../audit/audit-event.js";
import type { Deps } from "../../deps.js";
import type { Queryable } from "../../db/schema.js";
import { AppError, forbidden } from "../../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../roles.js";
import { verificationDetails } from "./step-up-policy.js";

/** The provider org's own settings (SPEC 14); today only step-up, off by default. */
export interface ProviderSettings {
  requireMfaForDecisions: boolean;
}

export function mustBeProviderAdmin(caller: Caller): void {
  if (!isProviderStaff(caller.user) || !hasRole(caller.user, "provider_admin")) throw forbidden("only a provider admin manages the provider's settings");
}

async function readRow(db: Queryable) {
  const row = await db.selectFrom("provider_settings").selectAll().where("id", "=", "provider").executeTakeFirst();
  if (!row) throw new AppError("internal", "provider settings row missing (migration 0014-step-up)");
  return row;
}

export async function getProviderSettings(deps: Deps, caller: Caller): Promise<ProviderSettings> {
  mustBeProviderAdmin(caller);
  const row = await readRow(deps.db);
  return { requireMfaForDecisions: row.require_mfa_for_decisions === 1 };
}

/**
 * Changes the provider's settings, audited in the provider chain (`org.settings_changed`) in the
 * same transaction. Compare-and-set on the value read: of two concurrent changes the second sees
 * the row moved and answers 409 rather than recording a change from a value that was not there.
 */
export async function updateProviderSettings(deps: Deps, caller: Caller, patch: Partial<ProviderSettings>): Promise<ProviderSettings> {
  mustBeProviderAdmin(caller);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await readRow(trx);
    const before: ProviderSettings = { requireMfaForDecisions: row.require_mfa_for_decisions === 1 };
    const after: ProviderSettings = { ...before, ...patch };
    if (after.requireMfaForDecisions === before.requireMfaForDecisions) return after;
    const done = await trx
      .updateTable("provider_settings")
      .set({ require_mfa_for_decisions: after.requireMfaForDecisions ? 1 : 0, updated_at: now.toISOString() })
      .where("id", "=", "provider")
      .where("require_mfa_for_decisions", "=", row.require_mfa_for_decisions)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new AppError("conflict", "the provider settings changed meanwhile; try again");
    await appendAudit(trx, {
      chain: providerChain,
      at: now,
      operation: "org.settings_changed",
      actor: auditActor(caller),
      target: { type: "org", id: "provider" },
      details: {
        changes: { requireMfaForDecisions: { from: before.requireMfaForDecisions, to: after.requireMfaForDecisions } },
        ...verificationDetails(caller),
      },
    });
    return after;
  });
}
