import type { Work } from "../db/in-transaction.js";
import type { RequestRow } from "../requests/access-request.js";
import { accessWindow } from "../requests/access-window.js";
import { applyTransition } from "../requests/transition-request.js";
import { requestFitsPolicy } from "./approval-policy.js";
import { activePolicies } from "./policy-queries.js";
import { requestFacts } from "./request-facts.js";

/**
 * Right after the manager's approval moved a request to the customer stage: if one of the
 * tenant's active policies covers it, the policy approves it at once, at the customer stage, in
 * the same transaction (SPEC 17). The actor is the policy — never a person, and never the
 * provider: only the tenant's global admin writes policies. The audit names the policy's id and
 * the version that decided, which stays readable after later changes. The approvers are still
 * told (the notification of `request.auto_approved`).
 *
 * `grantedMinutes` is what the manager granted (or the request asked for): the policy judges the
 * duration that would really be granted. Returns whether a policy approved the request.
 */
export async function autoApproveByPolicy(work: Work, row: RequestRow, grantedMinutes: number, now: Date): Promise<boolean> {
  // A tenant that requires passkey-signed approvals (SPEC 15) asked for a person's signature on
  // every approval; a policy cannot sign, and a grant without signatures would not pass its
  // enforcement anyway. Its approvers decide as usual.
  const tenant = await work.trx.selectFrom("tenants").select("require_signed_approvals").where("id", "=", row.tenant_id).executeTakeFirstOrThrow();
  if (tenant.require_signed_approvals === 1) return false;
  const policies = await activePolicies(work.trx, row.tenant_id);
  const facts = requestFacts({ ...row, granted_minutes: grantedMinutes }, now);
  const policy = policies.find((p) => requestFitsPolicy(p, facts));
  if (!policy) return false;
  const by = { policyId: policy.id, version: policy.version, name: policy.name };
  await applyTransition(work, {
    action: "auto_approve",
    row,
    now,
    actor: { type: "system", id: `policy:${policy.id}`, name: `approval policy "${policy.name}" (version ${policy.version})` },
    set: {
      granted_minutes: grantedMinutes,
      auto_approved_by: JSON.stringify(by),
      ...accessWindow(row, now, grantedMinutes),
    },
    details: { policyId: policy.id, policyVersion: policy.version, policyName: policy.name, grantedMinutes },
  });
  return true;
}
