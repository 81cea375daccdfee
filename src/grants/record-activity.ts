import { appendAudit } from "../audit/append-audit.js";
import { type AuditDetails, providerChain, tenantChain } from "../audit/audit-event.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import type { ServiceCaller } from "./service-credentials.js";

export interface ActivityEvent {
  requestId: string;
  /** Becomes the audit operation `operator.<operation>`. */
  operation: string;
  /** What was touched, e.g. "GET /mailboxes/42/messages". */
  target: string;
  /** When it happened (ISO); defaults to when the server received it. */
  at?: string;
  /**
   * Set when the reporting service refused the call itself (e.g. the gateway: "wrong_tenant",
   * "revoked"); the event is then recorded as `operator.denied` with this reason.
   */
  refused?: string;
  /** Extra facts (strings, integers, booleans), e.g. {method, path, status} from the gateway. */
  details?: Record<string, string | number | boolean>;
}

export type ActivityOutcome = { index: number; outcome: "recorded"; eventId: string } | {
  index: number;
  outcome: "denied";
  reason: DeniedReason;
  eventId: string;
};

export type DeniedReason = "unknown_request" | "not_granted" | "outside_access_window" | "in_the_future" | "refused_by_service";

export interface ActivityResult {
  recorded: number;
  denied: number;
  items: ActivityOutcome[];
}

/** How far ahead of the server's clock a reporter's `at` may be (clock skew). */
const FUTURE_SKEW_MS = 60_000;

/**
 * Records what an engineer did under a grant, in the tenant's chain, under the engineer's real
 * name (the service credential is named in the details, never standing in as the actor).
 *
 * A well-formed batch is all-or-nothing in one transaction, and every event is judged on its
 * own: one inside its grant's window [accessStartsAt, end) is recorded as `operator.<operation>`;
 * one outside (never granted, before the start, after the end or an early revoke/release, or in
 * the future) is recorded as `operator.denied` and reported back as denied. An event naming a
 * request that does not exist has no tenant; it is recorded as `operator.denied` in the provider
 * chain with the service as actor. A malformed batch is refused whole with 400 before anything
 * is written (see the route schema).
 */
export async function recordActivity(deps: Deps, service: ServiceCaller, events: ActivityEvent[]): Promise<ActivityResult> {
  const now = deps.clock.now();
  const ids = [...new Set(events.map((e) => e.requestId))];
  return inTransaction(deps, async ({ trx }) => {
    const rows = await trx
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
    const items: ActivityOutcome[] = [];
    for (const [index, e] of events.entries()) {
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
        const audit = await appendAudit(trx, {
          chain: providerChain,
          at: now,
          operation: "operator.denied",
          actor: { type: "service", id: service.id, name: service.name, ...(service.ip ? { ip: service.ip } : {}) },
          target: { type: "request", id: e.requestId },
          details: { ...base, reason: "unknown_request" },
        });
        items.push({ index, outcome: "denied", reason: "unknown_request", eventId: audit.id });
        continue;
      }
      const reason = deniedReason(row, atMs, now) ?? (e.refused ? "refused_by_service" : undefined);
      const audit = await appendAudit(trx, {
        chain: tenantChain(row.tenant_id),
        at: now,
        operation: reason ? "operator.denied" : `operator.${e.operation}`,
        actor: { type: "user", id: row.requester_id, name: row.requester_name },
        target: { type: "resource", id: e.target },
        requestId: row.id,
        details: { ...base, ticket: row.ticket, ...(reason ? { reason } : {}), ...(e.refused ? { refused: e.refused } : {}) },
      });
      items.push(reason ? { index, outcome: "denied", reason, eventId: audit.id } : { index, outcome: "recorded", eventId: audit.id });
    }
    const denied = items.filter((i) => i.outcome === "denied").length;
    return { recorded: items.length - denied, denied, items };
  });
}

type Row = { status: string; access_starts_at: string | null; access_ends_at: string | null; ended_at: string | null };

/** Why an event at `atMs` falls outside its request's grant, or undefined when it is inside. */
export function deniedReason(row: Row, atMs: number, now: Date): DeniedReason | undefined {
  if (atMs > now.getTime() + FUTURE_SKEW_MS) return "in_the_future";
  const granted = ["approved", "revoked", "completed"].includes(row.status);
  if (!granted || !row.access_starts_at || !row.access_ends_at) return "not_granted";
  // The grant's real end: an early revoke or release (ended_at) or the end of the window.
  const endMs = Math.min(Date.parse(row.access_ends_at), row.ended_at ? Date.parse(row.ended_at) : Infinity);
  if (atMs < Date.parse(row.access_starts_at) || atMs >= endMs) return "outside_access_window";
  return undefined;
}
