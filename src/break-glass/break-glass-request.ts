import { addMinutes } from "../clock.js";
import { inTransaction, type Work } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import { verificationDetails } from "../identity/step-up/step-up-policy.js";
import type { AccessRequest, RequestRow } from "../requests/access-request.js";
import { transitions } from "../requests/request-lifecycle.js";
import { findVisibleRequest, getRequest } from "../requests/request-queries.js";
import { openPredicate } from "../requests/request-window-sql.js";
import { applyTransition, conflict, recordRequestEvent } from "../requests/transition-request.js";
import { settingsOf } from "../tenants/tenant-settings.js";
import type { BreakGlassPerson } from "./break-glass-view.js";

/**
 * Break-glass (SPEC 17): in a production incident two provider people grant access at once,
 * without the customer's approval — a provider manager asks, a second, different manager or
 * provider admin confirms. Only where the tenant allows it, only for a request whose reasonType
 * is production_incident, for at most the tenant's breakGlass.maxMinutes. The customer is told
 * at once and must review it afterwards (review-break-glass.ts).
 *
 * The first person is stored with a compare-and-set on "nobody yet", so of two racing first calls
 * one is first and the other is told to confirm instead. Once set, the first person never
 * changes; the confirming call is the lifecycle's `break_glass` transition, whose compare-and-set
 * on the status makes one of two racing confirmations win and the other 409.
 */
export async function breakGlass(deps: Deps, caller: Caller, id: string): Promise<AccessRequest> {
  const now = deps.clock.now();
  await inTransaction(deps, async (work) => {
    const row = await findVisibleRequest(work.trx, caller.user, id);
    if (!isProviderStaff(caller.user) || !hasRole(caller.user, "manager", "provider_admin")) {
      throw forbidden("only provider managers and provider admins break the glass");
    }
    if (row.requester_id === caller.user.id) throw new AppError("self_approval", "nobody breaks the glass on their own request");
    const tenant = await work.trx.selectFrom("tenants").selectAll().where("id", "=", row.tenant_id).executeTakeFirstOrThrow();
    const settings = settingsOf(tenant).breakGlass;
    if (!settings.allowed) throw new AppError("break_glass_not_allowed", "this tenant does not allow break-glass access");
    if (row.reason_type !== "production_incident") {
      throw new AppError("production_incident_required", "break-glass is only for requests with reasonType production_incident");
    }
    const me: BreakGlassPerson = { id: caller.user.id, name: caller.user.name, at: now.toISOString() };
    if (row.break_glass_first_id == null) {
      if (!hasRole(caller.user, "manager")) throw forbidden("a provider manager breaks the glass first; a provider admin confirms");
      if (await claimFirst(work, row, me, now)) {
        await recordRequestEvent(work, row, "request.break_glass_requested", now, auditActor(caller), {
          status: row.status,
          ...verificationDetails(caller),
        });
        return;
      }
      // Someone else was first meanwhile: this call confirms theirs.
      const current = await work.trx
        .selectFrom("access_requests")
        .select(["break_glass_first_id", "break_glass_by"])
        .where("id", "=", row.id)
        .executeTakeFirstOrThrow();
      row.break_glass_first_id = current.break_glass_first_id;
      row.break_glass_by = current.break_glass_by;
    }
    if (row.break_glass_first_id === caller.user.id) {
      throw new AppError("already_decided", "break-glass needs two different people; someone else must confirm");
    }
    await grant(work, caller, row, me, settings.maxMinutes, now);
  });
  return getRequest(deps.db, caller.user, id, now);
}

async function claimFirst(work: Work, row: RequestRow, me: BreakGlassPerson, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const res = await work.trx
    .updateTable("access_requests")
    .set({ break_glass_first_id: me.id, break_glass_by: JSON.stringify([me]) })
    .where("id", "=", row.id)
    .where("break_glass_first_id", "is", null)
    .where(openPredicate(at, undefined, transitions.break_glass.from))
    .executeTakeFirst();
  if (res.numUpdatedRows === 1n) return true;
  const current = await work.trx.selectFrom("access_requests").select("break_glass_first_id").where("id", "=", row.id).executeTakeFirstOrThrow();
  if (current.break_glass_first_id == null) throw await conflict(work.trx, row.id, now);
  return false;
}

async function grant(work: Work, caller: Caller, row: RequestRow, me: BreakGlassPerson, maxMinutes: number, now: Date) {
  const first = (JSON.parse(row.break_glass_by ?? "[]") as BreakGlassPerson[])[0];
  const minutes = Math.min(row.granted_minutes ?? row.requested_minutes, maxMinutes);
  const by = [...(first ? [first] : []), me];
  await applyTransition(work, {
    action: "break_glass",
    row,
    now,
    actor: auditActor(caller),
    set: {
      break_glass: 1,
      break_glass_by: JSON.stringify(by),
      granted_minutes: minutes,
      access_starts_at: now.toISOString(),
      access_ends_at: addMinutes(now, minutes).toISOString(),
    },
    details: { breakGlassBy: by.map((p) => ({ id: p.id, name: p.name })), grantedMinutes: minutes, ...verificationDetails(caller) },
  });
}
