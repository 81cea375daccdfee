import { addMinutes } from "../clock.js";
import { inTransaction, type Work } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff, isTenantApprover } from "../identity/roles.js";
import { needsCustomerApproval, settingsOf } from "../tenants/tenant-settings.js";
import type { AccessRequest, Decision, RequestRow } from "./access-request.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition, conflict, recordRequestEvent } from "./transition-request.js";

export interface ApproveInput {
  comment?: string;
  /** Shortens the grant; each approver may only lower it, never raise it past the request. */
  grantedMinutes?: number;
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
      await approveAsCustomer(work, caller, row, input, now);
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
  const details = { comment: input.comment ?? null, ...(input.grantedMinutes ? { grantedMinutes: input.grantedMinutes } : {}) };
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
      access_starts_at: now.toISOString(),
      access_ends_at: addMinutes(now, granted).toISOString(),
    },
    details: { ...details, customerApproval: "not_required", grantedMinutes: granted },
  });
}

async function approveAsCustomer(work: Work, caller: Caller, row: RequestRow, input: ApproveInput, now: Date) {
  const { trx } = work;
  const at = now.toISOString();
  // Compare-and-set that also counts the approval. On PostgreSQL it locks the row until commit,
  // so a racing deny or approval waits, then re-checks the status and finds it moved on.
  const counted = await trx
    .updateTable("access_requests")
    .set((eb) => ({
      approval_count: eb("approval_count", "+", 1),
      granted_minutes:
        input.grantedMinutes === undefined
          ? eb.ref("granted_minutes")
          : eb
              .case()
              .when(eb.or([eb("granted_minutes", "is", null), eb("granted_minutes", ">", input.grantedMinutes)]))
              .then(input.grantedMinutes)
              .else(eb.ref("granted_minutes"))
              .end(),
    }))
    .where("id", "=", row.id)
    .where("status", "=", "pending_customer")
    .where("decide_by", ">", at)
    .returning(["approval_count", "required_approvals", "granted_minutes"])
    .executeTakeFirst();
  if (!counted) throw await conflict(trx, row.id, now);

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

  const required = counted.required_approvals ?? 1;
  const details = {
    comment: input.comment ?? null,
    approvals: counted.approval_count,
    requiredApprovals: required,
    ...(input.grantedMinutes ? { grantedMinutes: input.grantedMinutes } : {}),
  };
  if (counted.approval_count < required) {
    await recordRequestEvent(work, row, "request.approved", now, auditActor(caller), {
      ...details,
      status: "pending_customer",
      final: false,
    });
    return;
  }
  const granted = counted.granted_minutes ?? row.requested_minutes;
  await applyTransition(work, {
    action: "customer_grant",
    row,
    now,
    actor: auditActor(caller),
    set: {
      granted_minutes: granted,
      customer_decision: decision(caller, "approve", now, input.comment),
      access_starts_at: at,
      access_ends_at: addMinutes(now, granted).toISOString(),
    },
    details: { ...details, final: true, grantedMinutes: granted },
  });
}

