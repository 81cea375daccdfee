import { appendAudit } from "../audit/append-audit.js";
import { tenantChain } from "../audit/audit-event.js";
import type { ApprovalPolicyTable, TenantTable, Tx } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { AppError, invalidField } from "../errors.js";
import { newId } from "../ids.js";
import { auditActor, type Caller } from "../identity/roles.js";
import { verificationDetails } from "../identity/step-up/step-up-policy.js";
import { settingsOf } from "../tenants/tenant-settings.js";
import { type ApprovalPolicy, policyContent, toPolicy } from "./approval-policy.js";
import { tenantForPolicies } from "./policy-access.js";
import { currentPolicyRow } from "./policy-queries.js";
import { MAX_POLICIES_PER_TENANT, type PolicyBody } from "./policy-schemas.js";

/**
 * Policies are versioned: a change never rewrites a version, it supersedes it with the next one,
 * so the version an auto-approval names can always be read back. Every change is in the tenant's
 * chain with the policy's full content (always, like every lockbox workflow event: a policy
 * decides approvals).
 */
export async function createPolicy(deps: Deps, caller: Caller, tenantId: string, body: PolicyBody): Promise<ApprovalPolicy> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const tenant = await tenantForPolicies(trx, caller, tenantId, "manage");
    await checkPolicy(trx, tenant, body);
    const count = await trx
      .selectFrom("approval_policies")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("tenant_id", "=", tenantId)
      .where("superseded_at", "is", null)
      .where("deleted_at", "is", null)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_POLICIES_PER_TENANT) throw new AppError("conflict", `at most ${MAX_POLICIES_PER_TENANT} policies; delete one first`);
    const row = rowOf(newId(), 1, tenantId, body, caller, now);
    await trx.insertInto("approval_policies").values(row).execute();
    return record(trx, caller, row, "approval_policy.created", now);
  });
}

export async function updatePolicy(deps: Deps, caller: Caller, tenantId: string, policyId: string, body: PolicyBody): Promise<ApprovalPolicy> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const tenant = await tenantForPolicies(trx, caller, tenantId, "manage");
    await checkPolicy(trx, tenant, body);
    const current = await currentPolicyRow(trx, tenantId, policyId);
    await supersede(trx, current, { superseded_at: now.toISOString() });
    const row = rowOf(policyId, current.version + 1, tenantId, body, caller, now);
    await trx.insertInto("approval_policies").values(row).execute();
    return record(trx, caller, row, "approval_policy.updated", now);
  });
}

export async function deletePolicy(deps: Deps, caller: Caller, tenantId: string, policyId: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await tenantForPolicies(trx, caller, tenantId, "manage");
    const current = await currentPolicyRow(trx, tenantId, policyId);
    await supersede(trx, current, { deleted_at: now.toISOString() });
    await record(trx, caller, current, "approval_policy.deleted", now);
  });
}

/** Compare-and-set on the current version: of two concurrent changes one lands, the other is 409. */
async function supersede(trx: Tx, current: ApprovalPolicyTable, set: { superseded_at: string } | { deleted_at: string }) {
  const res = await trx
    .updateTable("approval_policies")
    .set(set)
    .where("id", "=", current.id)
    .where("version", "=", current.version)
    .where("superseded_at", "is", null)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  if (res.numUpdatedRows !== 1n) throw new AppError("conflict", "the policy changed meanwhile; reload and try again");
}

async function checkPolicy(trx: Tx, tenant: TenantTable, body: PolicyBody): Promise<void> {
  // A policy may never approve more than a person could: broader than the tenant's own cap is refused.
  const { maxAccessMinutes } = settingsOf(tenant);
  if (body.maxMinutes > maxAccessMinutes) {
    throw invalidField("maxMinutes", `must be at most the tenant's maxAccessMinutes (${maxAccessMinutes}); a policy is never broader than a person's approval`);
  }
  const keys = [...new Set(body.services)];
  const known = await trx.selectFrom("services").select("key").where("key", "in", keys).execute();
  const unknown = keys.filter((k) => !known.some((s) => s.key === k));
  if (unknown.length) throw invalidField("services", `unknown service: ${unknown.join(", ")}`);
}

function rowOf(id: string, version: number, tenantId: string, body: PolicyBody, caller: Caller, now: Date): ApprovalPolicyTable {
  return {
    id,
    version,
    tenant_id: tenantId,
    name: body.name,
    services: JSON.stringify([...new Set(body.services)]),
    access_level: body.accessLevel,
    max_minutes: body.maxMinutes,
    reason_types: body.reasonTypes ? JSON.stringify([...new Set(body.reasonTypes)]) : null,
    ticket_pattern: body.ticketPattern ?? null,
    hours_from: body.hoursUtc ? body.hoursUtc.from : null,
    hours_to: body.hoursUtc ? body.hoursUtc.to : null,
    created_by: JSON.stringify({ id: caller.user.id, name: caller.user.name }),
    created_at: now.toISOString(),
    superseded_at: null,
    deleted_at: null,
  };
}

async function record(trx: Tx, caller: Caller, row: ApprovalPolicyTable, operation: string, now: Date): Promise<ApprovalPolicy> {
  const policy = toPolicy(row);
  await appendAudit(trx, {
    chain: tenantChain(row.tenant_id),
    at: now,
    operation,
    actor: auditActor(caller),
    target: { type: "approval_policy", id: row.id },
    details: { ...policyContent(policy), ...verificationDetails(caller) },
  });
  return policy;
}
