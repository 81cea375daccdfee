import { type AuditEntry, appendAuditEvents } from "../audit/append-audit.js";
import { type AuditActor, type AuditDetails, providerChain, tenantChain } from "../audit/audit-event.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { type EventProblem, judgeActivityItem, lookupableId, problemsLine, type SalvagedEvent } from "./activity-event.js";
import type { ServiceCaller } from "./service-credentials.js";

export type { ActivityEvent } from "./activity-event.js";

/** Why an event was recorded as `operator.denied`. */
export const DENIED_REASONS = ["unknown_request", "not_granted", "outside_access_window", "in_the_future", "refused_by_service", "invalid_event"] as const;
export type DeniedReason = (typeof DENIED_REASONS)[number];

/** What became of one event of a batch, by its index in the batch. */
export type ActivityOutcome =
  | { index: number; outcome: "recorded"; eventId: string }
  | { index: number; outcome: "denied"; reason: DeniedReason; eventId: string; problems?: EventProblem[] };

export interface ActivityResult {
  recorded: number;
  /** Every event recorded as `operator.denied`, the invalid ones included. */
  denied: number;
  /** Of those denied, how many failed validation (reason `invalid_event`). */
  invalid: number;
  items: ActivityOutcome[];
}

/** How far ahead of the server's clock a reporter's `at` may be (clock skew). */
const FUTURE_SKEW_MS = 60_000;

/**
 * Records what an engineer did under a grant, in the tenant's chain, under the engineer's real
 * name (the service credential is named in the details, never standing in as the actor).
 *
 * Every item of a batch is judged on its own, and the batch is written in one transaction (a
 * storage failure loses nothing silently: the reporter keeps the batch and retries). A valid event
 * inside its grant's window [accessStartsAt, end) is recorded as `operator.<operation>`; one
 * outside it (never granted, before the start, after the end or an early revoke/release, or in
 * the future) or refused by the reporter is recorded as `operator.denied`. An item that fails
 * validation is recorded as `operator.denied` with reason `invalid_event` and its problems: one
 * reporter bug must never hide the real reads reported next to it (§13). An item naming no
 * existing request has no tenant; it is recorded in the provider chain with the service as actor.
 */
export async function recordActivity(deps: Deps, service: ServiceCaller, items: readonly unknown[]): Promise<ActivityResult> {
  const now = deps.clock.now();
  const judged = items.map(judgeActivityItem);
  const ids = [...new Set(judged.map((j) => (j.ok ? j.event.requestId : j.salvaged.requestId)).filter(lookupableId))];
  return inTransaction(deps, async ({ trx }) => {
    const rows =
      ids.length === 0
        ? []
        : await trx
            .selectFrom("access_requests as r")
            .innerJoin("users as u", "u.id", "r.requester_id")
            .select([
              "r.id",
              "r.tenant_id",
              "r.ticket",
              "r.status",
              "r.access_starts_at",
              "r.access_ends_at",
              "r.ended_at",
              "r.requester_id",
              "u.name as requester_name",
            ])
            .where("r.id", "in", ids)
            .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const serviceActor: AuditActor = { type: "service", id: service.id, name: service.name, ...(service.ip ? { ip: service.ip } : {}) };
    // Judge every item first (no lock held), then append: each chain's head is locked once, in
    // sorted chain order, so two batches over the same chains in any order cannot deadlock.
    const planned: { entry: AuditEntry; outcome: PendingOutcome }[] = [];
    for (const [index, j] of judged.entries()) {
      if (!j.ok) {
        const row = j.salvaged.requestId === undefined ? undefined : byId.get(j.salvaged.requestId);
        planned.push({
          entry: invalidEventEntry(j.salvaged, j.problems, row, serviceActor, now),
          outcome: { index, outcome: "denied", reason: "invalid_event", problems: j.problems },
        });
        continue;
      }
      const e = j.event;
      const at = e.at ?? now.toISOString();
      const atMs = Date.parse(at);
      const row = byId.get(e.requestId);
      // Reported extras first, so they can never overwrite the facts below.
      const base: AuditDetails = {
        ...(e.details ?? {}),
        requestId: e.requestId,
        operation: e.operation,
        target: e.target,
        occurredAt: at,
        serviceCredential: service.name,
      };
      if (!row) {
        planned.push({
          entry: {
            chain: providerChain,
            at: now,
            operation: "operator.denied",
            actor: serviceActor,
            target: { type: "request", id: e.requestId },
            details: { ...base, reason: "unknown_request" },
          },
          outcome: { index, outcome: "denied", reason: "unknown_request" },
        });
        continue;
      }
      const reason: DeniedReason | undefined = deniedReason(row, atMs, now) ?? (e.refused ? "refused_by_service" : undefined);
      planned.push({
        entry: {
          chain: tenantChain(row.tenant_id),
          at: now,
          operation: reason ? "operator.denied" : `operator.${e.operation}`,
          actor: { type: "user", id: row.requester_id, name: row.requester_name },
          target: { type: "resource", id: e.target },
          requestId: row.id,
          details: { ...base, ticket: row.ticket, ...(reason ? { reason } : {}), ...(e.refused ? { refused: e.refused } : {}) },
        },
        outcome: reason ? { index, outcome: "denied", reason } : { index, outcome: "recorded" },
      });
    }
    const byChain = new Map<string, typeof planned>();
    for (const p of planned) {
      const list = byChain.get(p.entry.chain);
      if (list) list.push(p);
      else byChain.set(p.entry.chain, [p]);
    }
    const out: ActivityOutcome[] = new Array(planned.length);
    for (const chain of [...byChain.keys()].sort()) {
      const list = byChain.get(chain)!;
      const appended = await appendAuditEvents(trx, chain, list.map((p) => p.entry));
      list.forEach((p, i) => {
        out[p.outcome.index] = { ...p.outcome, eventId: appended[i]!.id } as ActivityOutcome;
      });
    }
    const denied = out.filter((i) => i.outcome === "denied").length;
    const invalid = judged.filter((j) => !j.ok).length;
    return { recorded: out.length - denied, denied, invalid, items: out };
  });
}

/** An outcome before its event is appended (and so has an id). */
type PendingOutcome = { index: number; outcome: "recorded" } | { index: number; outcome: "denied"; reason: DeniedReason; problems?: EventProblem[] };

type RequestRow = { id: string; tenant_id: string; ticket: string; requester_id: string; requester_name: string };

/**
 * The audit entry for an item that is not a valid event: `operator.denied` (invalid_event) with
 * what could safely be kept of it. Naming a known request, it goes to that tenant's chain under
 * the engineer's name, so the customer sees that something was reported badly under the grant.
 */
function invalidEventEntry(salvaged: SalvagedEvent, problems: EventProblem[], row: RequestRow | undefined, service: AuditActor, now: Date): AuditEntry {
  const { requestId, operation, target } = salvaged;
  const details: AuditDetails = {
    ...(requestId === undefined ? {} : { requestId }),
    ...(operation === undefined ? {} : { operation }),
    ...(target === undefined ? {} : { target }),
    occurredAt: now.toISOString(),
    serviceCredential: service.name,
    reason: "invalid_event",
    problems: problemsLine(problems),
    ...(row ? { ticket: row.ticket } : {}),
  };
  const base = { at: now, operation: "operator.denied", details };
  if (!row) return { ...base, chain: providerChain, actor: service, target: { type: "request", id: requestId ?? "(none)" } };
  return {
    ...base,
    chain: tenantChain(row.tenant_id),
    actor: { type: "user", id: row.requester_id, name: row.requester_name },
    target: { type: "resource", id: target ?? "(invalid event)" },
    requestId: row.id,
  };
}

type Row = { status: string; access_starts_at: string | null; access_ends_at: string | null; ended_at: string | null };

/** Why an event at `atMs` falls outside its request's grant, or undefined when it is inside. */
export function deniedReason(row: Row, atMs: number, now: Date): Exclude<DeniedReason, "invalid_event" | "refused_by_service" | "unknown_request"> | undefined {
  if (atMs > now.getTime() + FUTURE_SKEW_MS) return "in_the_future";
  const granted = ["approved", "revoked", "completed"].includes(row.status);
  if (!granted || !row.access_starts_at || !row.access_ends_at) return "not_granted";
  // The grant's real end: an early revoke or release (ended_at) or the end of the window.
  const endMs = Math.min(Date.parse(row.access_ends_at), row.ended_at ? Date.parse(row.ended_at) : Infinity);
  if (atMs < Date.parse(row.access_starts_at) || atMs >= endMs) return "outside_access_window";
  return undefined;
}
