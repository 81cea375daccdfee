import { addMinutes } from "../clock.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { auditActor, type Caller, isTenantApprover } from "../identity/roles.js";
import { settingsOf } from "../tenants/tenant-settings.js";
import type { SignedDecisionBody } from "../approvals/signed-decision-schemas.js";
import { verifySignedExtension } from "../approvals/verify-signed-decision.js";
import { verificationDetails } from "../identity/step-up/step-up-policy.js";
import type { Extension, RequestRow } from "./access-request.js";
import { effectiveStatus } from "./request-lifecycle.js";
import { findVisibleRequest, getRequest } from "./request-queries.js";
import { applyTransition, personRef, recordRequestEvent } from "./transition-request.js";

/**
 * The furthest an access window may reach with every extension (SPEC 17): its start plus twice
 * the tenant's maxAccessMinutes, as the tenant has it now.
 */
function capOf(row: RequestRow, maxAccessMinutes: number): number {
  return Date.parse(row.access_starts_at!) + 2 * maxAccessMinutes * 60_000;
}

async function tenantSettings(work: { trx: import("../db/schema.js").Tx }, tenantId: string) {
  return settingsOf(await work.trx.selectFrom("tenants").selectAll().where("id", "=", tenantId).executeTakeFirstOrThrow());
}

/**
 * While access is granted, the requester asks for more time. The extension waits for the
 * customer's approvers (as many as the request needed); nothing changes until they approve.
 * Refused up front when the request is not approved (409) or the total would pass the cap (400).
 */
export async function requestExtension(deps: Deps, caller: Caller, id: string, input: { minutes: number; reason: string }): Promise<Extension> {
  const now = deps.clock.now();
  const eid = newId();
  await inTransaction(deps, async (work) => {
    const row = await findVisibleRequest(work.trx, caller.user, id);
    if (row.requester_id !== caller.user.id) throw forbidden("only the requester asks for more time");
    const status = effectiveStatus(row, now);
    if (status !== "approved") throw new AppError("conflict", `the request is ${status}; only granted access is extended`, { status });
    const settings = await tenantSettings(work, row.tenant_id);
    const cap = capOf(row, settings.maxAccessMinutes);
    if (Date.parse(row.access_ends_at!) + input.minutes * 60_000 > cap) {
      const left = Math.max(0, Math.floor((cap - Date.parse(row.access_ends_at!)) / 60_000));
      throw invalidField("minutes", `access may last at most ${2 * settings.maxAccessMinutes} minutes in total: at most ${left} more`);
    }
    const required = row.required_approvals ?? settings.requiredApprovals;
    await work.trx
      .insertInto("request_extensions")
      .values({
        id: eid,
        request_id: row.id,
        status: "pending",
        minutes: input.minutes,
        reason: input.reason,
        requested_by: personRef(caller.user),
        requested_at: now.toISOString(),
        required_approvals: required,
        approval_count: 0,
        decision: null,
        access_ends_at: null,
      })
      .execute();
    await recordRequestEvent(work, row, "request.extension_requested", now, auditActor(caller), {
      status,
      extensionId: eid,
      minutes: input.minutes,
      reason: input.reason,
      requiredApprovals: required,
    });
  });
  return findExtension(deps, caller, id, eid);
}

/**
 * The customer's approvers decide an extension like a request: distinct people, the last
 * approval moves accessEndsAt by the extension's minutes (never past the cap), one deny is
 * final, and all of it only while the access has not ended. Both are rows of the lifecycle's
 * extension sub-table, applied by applyTransition.
 */
export async function decideExtension(
  deps: Deps,
  caller: Caller,
  id: string,
  eid: string,
  verdict: "approve" | "deny",
  input: { comment?: string } & SignedDecisionBody,
): Promise<Extension> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const row = await findVisibleRequest(trx, caller.user, id);
    const ext = await trx.selectFrom("request_extensions").selectAll().where("id", "=", eid).where("request_id", "=", row.id).executeTakeFirst();
    if (!ext) throw notFound("extension");
    if (row.requester_id === caller.user.id) throw new AppError("self_approval", "nobody decides their own extension");
    if (!isTenantApprover(caller.user, row.tenant_id)) throw forbidden("only the tenant's approvers decide an extension");
    const by = { id: caller.user.id, name: caller.user.name };
    const decision = JSON.stringify({ by, at: now.toISOString(), decision: verdict, comment: input.comment ?? null });
    // Signed like a request's decision on a tenant with requireSignedApprovals (SPEC 15, 17).
    const extension = { id: ext.id, minutes: Number(ext.minutes), status: ext.status };
    const signed = await verifySignedExtension(work, caller, row, extension, verdict === "approve" ? "extend" : "extend_deny", input, now);
    const base = { comment: input.comment ?? null, minutes: ext.minutes, ...verificationDetails(caller), ...(signed ? { signed } : {}) };
    if (verdict === "deny") {
      await applyTransition(work, {
        action: "extension_deny",
        extension: { id: eid, set: { decision } },
        row,
        now,
        actor: auditActor(caller),
        details: base,
      });
      return;
    }
    const settings = await tenantSettings(work, row.tenant_id);
    await applyTransition(work, {
      action: "extension_approve",
      extension: { id: eid },
      row,
      now,
      actor: auditActor(caller),
      claimed: async () => {
        const inserted = await trx
          .insertInto("extension_approvals")
          .values({ extension_id: eid, user_id: caller.user.id, user_name: caller.user.name, at: now.toISOString(), comment: input.comment ?? null })
          .onConflict((oc) => oc.columns(["extension_id", "user_id"]).doNothing())
          .executeTakeFirst();
        if (inserted.numInsertedOrUpdatedRows !== 1n) {
          throw new AppError("already_decided", "you have already approved this extension; approvals must come from distinct people");
        }
      },
      details: (counted) => ({ ...base, approvals: counted.approval_count, requiredApprovals: counted.required_approvals ?? 1, final: false }),
      reached: (counted) => {
        // The end it moves is the one read above; applyTransition compares-and-sets on it.
        const newEnd = addMinutes(new Date(row.access_ends_at!), ext.minutes);
        if (newEnd.getTime() > capOf(row, settings.maxAccessMinutes)) {
          throw new AppError("conflict", `the extension would pass the cap of ${2 * settings.maxAccessMinutes} minutes in total`, { status: "approved" });
        }
        const accessEndsAt = newEnd.toISOString();
        return {
          set: { access_ends_at: accessEndsAt },
          extensionSet: { decision, access_ends_at: accessEndsAt },
          details: {
            ...base,
            approvals: counted.approval_count,
            requiredApprovals: counted.required_approvals ?? 1,
            final: true,
            previousAccessEndsAt: row.access_ends_at,
            accessEndsAt,
          },
        };
      },
    });
  });
  return findExtension(deps, caller, id, eid);
}

async function findExtension(deps: Deps, caller: Caller, id: string, eid: string): Promise<Extension> {
  const request = await getRequest(deps.db, caller.user, id, deps.clock.now());
  return request.extensions.find((e) => e.id === eid)!;
}
