import { addMinutes } from "../clock.js";
import { accessWindow } from "./access-window.js";
import { inTransaction, type Work } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff, isTenantApprover } from "../identity/roles.js";
import type { SignedDecisionBody } from "../approvals/signed-decision-schemas.js";
import { type SignedDecision, verifySignedDecision } from "../approvals/verify-signed-decision.js";
import { verificationDetails } from "../identity/step-up/step-up-policy.js";
import { needsCustomerApproval, settingsOf } from "../tenants/tenant-settings.js";
import type { AccessRequest, Decision, RequestRow } from "./access-request.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition } from "./transition-request.js";
import { autoApproveByPolicy } from "../policies/auto-approve-request.js";

export interface ApproveInput {
  comment?: string;
  /** Shortens the grant; each approver may only lower it, never raise it past the request. */
  grantedMinutes?: number;
  /** A passkey signature over the decision statement (SPEC 15): required when the tenant asks for it. */
  statement?: SignedDecisionBody["statement"];
  assertion?: SignedDecisionBody["assertion"];
  /** Set once verified: stored in the audit event as details.signed. */
  signed?: SignedDecision;
}

/**
 * Approves at the stage the request is in: a provider manager at `pending_manager`, the tenant's
 * approvers at `pending_customer`. Nobody approves their own request, and no provider role ever
 * approves for the customer.
 */
export async function approveRequest(deps: Deps, caller: Caller, id: string, input: ApproveInput): Promise<AccessRequest> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const row = await findVisibleRequest(trx, caller.user, id);
    if (row.requester_id === caller.user.id) throw new AppError("self_approval", "nobody approves their own request");
    if (input.grantedMinutes !== undefined && input.grantedMinutes > row.requested_minutes) {
      throw invalidField("grantedMinutes", `must be at most the ${row.requested_minutes} minutes requested`);
    }
    if (isProviderStaff(caller.user)) {
      if (!hasRole(caller.user, "manager")) throw forbidden("only a provider manager approves at the first stage");
      await approveAsManager(work, caller, row, input, now);
    } else {
      if (!isTenantApprover(caller.user, row.tenant_id)) throw forbidden("only the tenant's approvers decide");
      const signed = await verifySignedDecision(work, caller, row, "approve", input, now);
      await approveAsCustomer(work, caller, row, signed ? { ...input, grantedMinutes: signed.statement.grantedMinutes, signed } : input, now);
    }
  });
  return getRequest(deps.db, caller.user, id, now);
}

function decision(caller: Caller, kind: Decision["decision"], now: Date, comment?: string): string {
  const d: Decision = { by: { id: caller.user.id, name: caller.user.name }, at: now.toISOString(), decision: kind, comment: comment ?? null };
  return JSON.stringify(d);
}

async function approveAsManager(work: Work, caller: Caller, row: RequestRow, input: ApproveInput, now: Date) {
  const { trx } = work;
  const tenant = await trx.selectFrom("tenants").selectAll().where("id", "=", row.tenant_id).executeTakeFirstOrThrow();
  const settings = settingsOf(tenant);
  const managerDecision = decision(caller, "approve", now, input.comment);
  const details = {
    comment: input.comment ?? null,
    ...(input.grantedMinutes ? { grantedMinutes: input.grantedMinutes } : {}),
    ...verificationDetails(caller),
  };
  if (needsCustomerApproval(settings, JSON.parse(row.services) as string[])) {
    const decideBy = addMinutes(now, settings.approvalWindowMinutes).toISOString();
    await applyTransition(work, {
      action: "manager_approve",
      row,
      now,
      actor: auditActor(caller),
      set: {
        manager_decision: managerDecision,
        decide_by: decideBy,
        required_approvals: settings.requiredApprovals,
        granted_minutes: input.grantedMinutes ?? null,
      },
      details: { ...details, decideBy, requiredApprovals: settings.requiredApprovals },
    });
    // The customer may have pre-approved requests like this one: its policy approves at once.
    await autoApproveByPolicy(work, row, input.grantedMinutes ?? row.requested_minutes, now);
    return;
  }
  const granted = input.grantedMinutes ?? row.requested_minutes;
  await applyTransition(work, {
    action: "manager_grant",
    row,
    now,
    actor: auditActor(caller),
    set: {
      manager_decision: managerDecision,
      granted_minutes: granted,
      ...accessWindow(row, now, granted),
    },
    details: { ...details, customerApproval: "not_required", grantedMinutes: granted },
  });
}

async function approveAsCustomer(work: Work, caller: Caller, row: RequestRow, input: ApproveInput, now: Date) {
  const { trx } = work;
  const at = now.toISOString();
  const base = {
    comment: input.comment ?? null,
    ...(input.grantedMinutes ? { grantedMinutes: input.grantedMinutes } : {}),
    ...verificationDetails(caller),
    ...(input.signed ? { signed: input.signed } : {}),
  };
  await applyTransition(work, {
    action: "customer_approve",
    row,
    now,
    actor: auditActor(caller),
    // Each approver may only lower the grant, never raise it.
    set: (eb) => ({
      granted_minutes:
        input.grantedMinutes === undefined
          ? eb.ref("granted_minutes")
          : eb
              .case()
              .when(eb.or([eb("granted_minutes", "is", null), eb("granted_minutes", ">", input.grantedMinutes)]))
              .then(input.grantedMinutes)
              .else(eb.ref("granted_minutes"))
              .end(),
    }),
    // The row is claimed (and, on PostgreSQL, locked): a second approval by the same person waits here and is refused.
    claimed: async () => {
      const already = await trx
        .selectFrom("request_approvals")
        .select("user_id")
        .where("request_id", "=", row.id)
        .where("user_id", "=", caller.user.id)
        .executeTakeFirst();
      if (already) throw new AppError("already_decided", "you have already approved this request; approvals must come from distinct people");
      await trx
        .insertInto("request_approvals")
        .values({ request_id: row.id, user_id: caller.user.id, user_name: caller.user.name, at, comment: input.comment ?? null })
        .execute();
    },
    details: (counted) => ({ ...base, approvals: counted.approval_count, requiredApprovals: counted.required_approvals ?? 1, final: false }),
    reached: (counted) => {
      const granted = counted.granted_minutes ?? row.requested_minutes;
      return {
        set: {
          granted_minutes: granted,
          customer_decision: decision(caller, "approve", now, input.comment),
          ...accessWindow(row, now, granted),
        },
        details: { ...base, approvals: counted.approval_count, requiredApprovals: counted.required_approvals ?? 1, final: true, grantedMinutes: granted },
      };
    },
  });
}
