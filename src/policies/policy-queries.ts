import type { Queryable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import type { Caller } from "../identity/roles.js";
import { type ApprovalPolicy, toPolicy } from "./approval-policy.js";
import { tenantForPolicies } from "./policy-access.js";

/** The tenant's policies in force: the current version of each, deleted ones left out. */
export async function activePolicies(db: Queryable, tenantId: string): Promise<ApprovalPolicy[]> {
  const rows = await db
    .selectFrom("approval_policies")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("superseded_at", "is", null)
    .where("deleted_at", "is", null)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toPolicy);
}

export async function currentPolicyRow(db: Queryable, tenantId: string, policyId: string) {
  const row = await db
    .selectFrom("approval_policies")
    .selectAll()
    .where("id", "=", policyId)
    .where("tenant_id", "=", tenantId)
    .where("superseded_at", "is", null)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  if (!row) throw notFound("policy");
  return row;
}

export async function listPolicies(deps: Deps, caller: Caller, tenantId: string): Promise<ApprovalPolicy[]> {
  await tenantForPolicies(deps.db, caller, tenantId, "read");
  return activePolicies(deps.db, tenantId);
}
