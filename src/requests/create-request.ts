import { addMinutes } from "../clock.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { forbidden, invalidField, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import { settingsOf } from "../tenants/tenant-settings.js";
import type { AccessRequest } from "./access-request.js";
import { getRequest } from "./request-queries.js";
import { defaultReasonType, MAX_START_AHEAD_MINUTES, type ReasonType } from "./reason-types.js";
import { recordRequestEvent } from "./transition-request.js";

export interface NewRequest {
  tenantId: string;
  /** The customer's support case; required for customer-initiated support (the default reason type). */
  ticket?: string;
  reasonType?: ReasonType;
  /** The scheduled start (SPEC 17): not in the past, at most 7 days ahead. */
  startAt?: string;
  reason: string;
  services: string[];
  accessLevel: "read" | "write";
  requestedMinutes: number;
}

/** An engineer files a data access request; it waits for a provider manager first. */
export async function createRequest(deps: Deps, caller: Caller, input: NewRequest): Promise<AccessRequest> {
  if (!isProviderStaff(caller.user) || !hasRole(caller.user, "engineer")) {
    throw forbidden("only provider engineers file data access requests");
  }
  const now = deps.clock.now();
  const services = [...new Set(input.services)];
  const reasonType = input.reasonType ?? defaultReasonType;
  if (reasonType === "customer_initiated_support" && !input.ticket) {
    throw invalidField("ticket", "a customer-initiated support request names the customer's support case");
  }
  if (input.startAt !== undefined) {
    if (Date.parse(input.startAt) < now.getTime()) throw invalidField("startAt", "must not be in the past");
    if (Date.parse(input.startAt) > addMinutes(now, MAX_START_AHEAD_MINUTES).getTime()) {
      throw invalidField("startAt", "must be at most 7 days ahead");
    }
  }
  const id = await inTransaction(deps, async (work) => {
    const { trx } = work;
    const tenant = await trx.selectFrom("tenants").selectAll().where("id", "=", input.tenantId).executeTakeFirst();
    if (!tenant) throw notFound("tenant");
    const known = await trx.selectFrom("services").select("key").where("key", "in", services).execute();
    const unknown = services.filter((s) => !known.some((k) => k.key === s));
    if (unknown.length) throw invalidField("services", `unknown service: ${unknown.join(", ")}`);
    const { maxAccessMinutes } = settingsOf(tenant);
    if (input.requestedMinutes > maxAccessMinutes) {
      throw invalidField("requestedMinutes", `this tenant allows at most ${maxAccessMinutes} minutes`);
    }
    const row = {
      id: newId(),
      tenant_id: tenant.id,
      status: "pending_manager",
      ticket: input.ticket ?? "",
      reason: input.reason,
      services: JSON.stringify(services),
      access_level: input.accessLevel,
      requested_minutes: input.requestedMinutes,
      granted_minutes: null,
      requester_id: caller.user.id,
      created_at: now.toISOString(),
      decide_by: addMinutes(now, deps.config.managerWindowMinutes).toISOString(),
      required_approvals: null,
      approval_count: 0,
      manager_decision: null,
      customer_decision: null,
      access_starts_at: null,
      access_ends_at: null,
      ended_at: null,
      ended_by: null,
      end_reason: null,
      end_comment: null,
      reason_type: reasonType,
      start_at: input.startAt === undefined ? null : new Date(input.startAt).toISOString(),
    };
    await trx.insertInto("access_requests").values(row).execute();
    await recordRequestEvent(
      work,
      { ...row, requester_name: caller.user.name, requester_email: caller.user.email },
      "request.created",
      now,
      auditActor(caller),
      {
        status: row.status,
        reason: input.reason,
        reasonType,
        ...(row.start_at ? { startAt: row.start_at } : {}),
        // The signed decision statement names the requester by email (SPEC 15): on record here.
        requesterEmail: caller.user.email,
        services,
        accessLevel: input.accessLevel,
        requestedMinutes: input.requestedMinutes,
        decideBy: row.decide_by,
      },
    );
    return row.id;
  });
  return getRequest(deps.db, caller.user, id, now);
}
