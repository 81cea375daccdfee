import type { AuditActor } from "../audit/audit-event.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { clockEndReason } from "./access-request.js";
import { clockActionFor, type RequestStatus, transitions } from "./request-lifecycle.js";
import { lapsedPredicate } from "./request-window-sql.js";
import { applyTransition } from "./transition-request.js";

const sweeper: AuditActor = { type: "system", id: "sweeper", name: "Lockbox" };
const BATCH = 200;

/**
 * Records the ends that time has already made: pending requests past decideBy become `expired`,
 * approved ones past accessEndsAt `completed`. Reads already show these statuses; the sweeper
 * makes them durable and writes their audit events. Each row is re-checked by the transition's
 * compare-and-set, so a request that moved on meanwhile (or that another sweeper took) is left
 * alone. Returns how many requests it moved.
 */
export async function sweepRequests(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const at = now.toISOString();
  let moved = 0;
  for (;;) {
    const due = await deps.db
      .selectFrom("access_requests as r")
      .innerJoin("users as u", "u.id", "r.requester_id")
      .selectAll("r")
      .select(["u.name as requester_name", "u.email as requester_email"])
      .where(lapsedPredicate(at, "r"))
      .limit(BATCH)
      .execute();
    let movedNow = 0;
    for (const row of due) {
      const action = clockActionFor(row.status as RequestStatus)!;
      const finishing = transitions[action].to === "completed";
      try {
        await inTransaction(deps, (work) =>
          applyTransition(work, {
            action,
            row,
            now,
            actor: sweeper,
            set: {
              ended_at: finishing ? row.access_ends_at : row.decide_by,
              end_reason: finishing ? clockEndReason.completed : clockEndReason.expired,
            },
          }),
        );
        movedNow += 1;
      } catch (err) {
        if (!(err instanceof AppError && err.code === "conflict")) throw err;
      }
    }
    moved += movedNow;
    if (due.length < BATCH || movedNow === 0) return moved;
  }
}
