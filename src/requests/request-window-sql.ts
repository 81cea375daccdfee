import { type Expression, type RawBuilder, type SqlBool, sql } from "kysely";
import {
  clockActions,
  type DeadlineColumn,
  deadlineOf,
  type RequestAction,
  type RequestStatus,
  timedStatuses,
  transitions,
} from "./request-lifecycle.js";

/**
 * The one place the lifecycle's time rule becomes SQL: a status's window is open before its
 * deadline column (`deadlineOf`) and closed from that instant on. Every query that asks "still
 * open?" or "already over?" (the compare-and-set, the sweeper, the list filter, the grant index,
 * people leaving, reminders) builds its predicate here, from the lifecycle table, so the rule is
 * spelled once. `alias` is the table alias the query gave access_requests ("r"), if any.
 */
export function windowPredicate(
  statuses: readonly RequestStatus[],
  when: "person" | "clock",
  at: string,
  alias?: string,
): RawBuilder<SqlBool> {
  const col = (name: string) => sql.ref(alias ? `${alias}.${name}` : name);
  const byColumn = new Map<DeadlineColumn, RequestStatus[]>();
  for (const s of statuses) {
    const column = deadlineOf[s];
    if (column) byColumn.set(column, [...(byColumn.get(column) ?? []), s]);
  }
  const parts = [...byColumn].map(
    ([column, list]) =>
      sql<SqlBool>`(${col("status")} in (${sql.join(list)}) and ${col(column)} ${sql.raw(when === "person" ? ">" : "<=")} ${at})`,
  );
  return anyOf(parts);
}

/** The compare-and-set condition of a transition: one of its `from` statuses, window as its `when` says. */
export function transitionPredicate(action: RequestAction, at: string, alias?: string): RawBuilder<SqlBool> {
  const t = transitions[action];
  return windowPredicate(t.from, t.when, at, alias);
}

/** Requests the clock has ended but nobody recorded yet: what the sweeper moves. */
export function lapsedPredicate(at: string, alias?: string): RawBuilder<SqlBool> {
  return anyOf(clockActions.map((a) => transitionPredicate(a, at, alias)));
}

/** Requests whose current window is still open: pending before decideBy, approved before accessEndsAt. */
export function openPredicate(at: string, alias?: string, statuses: readonly RequestStatus[] = timedStatuses): RawBuilder<SqlBool> {
  return windowPredicate(statuses, "person", at, alias);
}

/**
 * Requests whose effective status (what a reader sees, effectiveStatus) is `status` at `at`:
 * stored as `status` with its window open (or without a window), or stored as a status whose
 * clock transition leads to `status` and whose window has closed.
 */
export function effectiveStatusPredicate(status: RequestStatus, at: string, alias?: string): RawBuilder<SqlBool> {
  const col = sql.ref(alias ? `${alias}.status` : "status");
  const parts: Expression<SqlBool>[] = [
    deadlineOf[status] ? openPredicate(at, alias, [status]) : sql<SqlBool>`${col} = ${status}`,
  ];
  for (const a of clockActions) if (transitions[a].to === status) parts.push(transitionPredicate(a, at, alias));
  return anyOf(parts);
}

function anyOf(parts: Expression<SqlBool>[]): RawBuilder<SqlBool> {
  if (parts.length === 0) return sql<SqlBool>`(1 = 0)`;
  return sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}
