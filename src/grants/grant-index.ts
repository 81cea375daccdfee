import type { AccessRequestTable, Queryable } from "../db/schema.js";
import { openPredicate } from "../requests/request-window-sql.js";

export type AccessLevel = "read" | "write";

/** An approved request as the access check needs it. */
export interface Grant {
  requestId: string;
  userId: string;
  tenantId: string;
  services: ReadonlySet<string>;
  accessLevel: AccessLevel;
  startsAtMs: number;
  endsAtMs: number;
  endsAt: string;
}

export type CheckReason =
  | "granted"
  | "no_active_grant"
  | "service_not_granted"
  | "insufficient_access"
  | "expired"
  | "not_started"
  | "unverified";

export interface CheckResult {
  allowed: boolean;
  requestId?: string;
  expiresAt?: string;
  reason: CheckReason;
}

type GrantRow = Pick<
  AccessRequestTable,
  "id" | "requester_id" | "tenant_id" | "services" | "access_level" | "access_starts_at" | "access_ends_at" | "status"
>;

export function grantOf(row: GrantRow): Grant | undefined {
  if (row.status !== "approved" || !row.access_starts_at || !row.access_ends_at) return undefined;
  return {
    requestId: row.id,
    userId: row.requester_id,
    tenantId: row.tenant_id,
    services: new Set(JSON.parse(row.services) as string[]),
    accessLevel: row.access_level,
    startsAtMs: Date.parse(row.access_starts_at),
    endsAtMs: Date.parse(row.access_ends_at),
    endsAt: row.access_ends_at,
  };
}

/** The request columns a grant is built from (and a transition's RETURNING carries). */
export const grantColumns = [
  "id",
  "requester_id",
  "tenant_id",
  "services",
  "access_level",
  "access_starts_at",
  "access_ends_at",
  "status",
] as const;

/** Of several grants that refuse, the reason told is the most specific one. */
const reasonRank: Record<CheckReason, number> = {
  unverified: 0,
  granted: 6,
  insufficient_access: 5,
  service_not_granted: 4,
  not_started: 3,
  expired: 2,
  no_active_grant: 1,
};

const keyOf = (userId: string, tenantId: string) => `${userId}\u0000${tenantId}`;

/**
 * Active grants in memory, by (user, tenant), for the access check.
 *
 * What must stay true:
 * - Only committed state is visible: the request listener applies changes in `afterCommit`
 *   (see grant-listener.ts), so a rolled-back approval never allows anything.
 * - Time is checked at answer time against the caller's `now`, so a grant past `accessEndsAt` is
 *   refused even before the sweeper (or a refresh) removes it.
 * - The index may lag other instances: `refresh(requestId)` re-reads one request and
 *   `reloadAll()` rebuilds everything from the database. On PostgreSQL another instance's
 *   grants and ends arrive by LISTEN/NOTIFY within milliseconds (grant-sync.ts); the revocations
 *   table (polled twice a second) and the database fallback on a miss (check-access.ts) cover
 *   lost notifications.
 */
export class GrantIndex {
  private byUser = new Map<string, Grant[]>();
  private byId = new Map<string, Grant>();
  /**
   * Requests whose grant has ended (revoked or completed: terminal, never active again), with
   * when we learned it. A database read that started before the end committed (reloadAll,
   * refresh, the miss fallback) can finish after it; these tombstones keep such a stale read
   * from bringing the grant back.
   */
  private readonly ended = new Map<string, number>();
  /** Wall-clock time of the last successful sync with the database (grant-sync.ts). */
  private syncedAtMs = Date.now();

  constructor(private readonly db: Queryable) {}

  markSynced(atMs = Date.now()): void {
    this.syncedAtMs = atMs;
  }

  /** Whether other instances' ends may have gone unseen for longer than `maxAgeMs`. */
  isStale(maxAgeMs: number, nowMs = Date.now()): boolean {
    return nowMs - this.syncedAtMs > maxAgeMs;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Replaces the whole index with the approved requests not yet ended at `now`. */
  async reloadAll(now: Date): Promise<void> {
    // A grant put while the read runs (an approval that committed after the read's snapshot)
    // would be lost by the replacement below: keep those and put them back after it.
    const putMeanwhile = new Map<string, Grant>();
    this.putDuringReload.add(putMeanwhile);
    let rows;
    try {
      rows = await this.db
        .selectFrom("access_requests")
        .select(grantColumns)
        .where(openPredicate(now.toISOString(), undefined, ["approved"]))
        .execute();
    } finally {
      this.putDuringReload.delete(putMeanwhile);
    }
    const byUser = new Map<string, Grant[]>();
    const byId = new Map<string, Grant>();
    for (const row of rows) {
      const g = grantOf(row);
      if (!g || this.ended.has(g.requestId)) continue;
      byId.set(g.requestId, g);
      const key = keyOf(g.userId, g.tenantId);
      byUser.set(key, [...(byUser.get(key) ?? []), g]);
    }
    this.byUser = byUser;
    this.byId = byId;
    for (const g of putMeanwhile.values()) this.put(g);
  }

  /** Reloads in flight, each collecting the grants put while it reads (see reloadAll). */
  private readonly putDuringReload = new Set<Map<string, Grant>>();

  /**
   * Whether every grant committed anywhere before this call is in the index: then a refusal
   * from memory is proven and needs no database read (check-access.ts). Answers `false` when it
   * cannot tell, and may answer later (a promise) when it needs a round trip to know. Installed
   * by grant-sync.ts for the database in use; until then, nothing is proven.
   */
  provesComplete: () => boolean | Promise<boolean> = () => false;

  /** Re-reads one request from the database and puts it in or takes it out. */
  async refresh(requestId: string): Promise<void> {
    const row = await this.db.selectFrom("access_requests").select(grantColumns).where("id", "=", requestId).executeTakeFirst();
    const g = row && grantOf(row);
    if (g) this.put(g);
    else if (row && (row.status === "revoked" || row.status === "completed")) this.end(requestId);
    else this.remove(requestId);
  }

  /** Loads the user's approved grants in a tenant from the database (the fallback on a miss). */
  async refreshUser(userId: string, tenantId: string, now: Date): Promise<boolean> {
    const rows = await this.db
      .selectFrom("access_requests")
      .select(grantColumns)
      .where("requester_id", "=", userId)
      .where("tenant_id", "=", tenantId)
      .where(openPredicate(now.toISOString(), undefined, ["approved"]))
      .execute();
    let added = false;
    for (const row of rows) {
      const g = grantOf(row);
      if (g && !this.byId.has(g.requestId)) {
        this.put(g);
        added = true;
      }
    }
    return added;
  }

  put(grant: Grant): void {
    if (this.ended.has(grant.requestId)) return;
    for (const meanwhile of this.putDuringReload) meanwhile.set(grant.requestId, grant);
    this.remove(grant.requestId);
    this.byId.set(grant.requestId, grant);
    const key = keyOf(grant.userId, grant.tenantId);
    const list = this.byUser.get(key);
    if (list) list.push(grant);
    else this.byUser.set(key, [grant]);
  }

  /** The grant has ended for good (revoked, released, completed): out, and never back. */
  end(requestId: string): void {
    this.ended.set(requestId, Date.now());
    this.remove(requestId);
    this.wake();
  }

  /** Long polls of the revocations feed waiting for the next end (see nextEnd). */
  private readonly waiters = new Set<() => void>();

  /**
   * Resolves at the next `end` (this instance's own ends after commit, other instances' as the
   * sync applies them: either way the feed row is committed by then), after `ms`, on `abort`, or
   * at `close` (shutdown), whichever comes first; `cancel` lets go early. A wake can be spurious;
   * callers re-read.
   */
  nextEnd(ms: number, abort?: AbortSignal): { ended: Promise<void>; cancel(): void } {
    let cancel = () => {};
    const ended = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        abort?.removeEventListener("abort", done);
        resolve();
      };
      cancel = done;
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      abort?.addEventListener("abort", done, { once: true });
      if (abort?.aborted || this.closing) done();
    });
    return { ended, cancel };
  }

  /** Releases every waiting long poll (an end, or the server closing). */
  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Set at shutdown: long polls answer at once instead of holding the server open. */
  closing = false;

  close(): void {
    this.closing = true;
    this.wake();
  }

  remove(requestId: string): void {
    const g = this.byId.get(requestId);
    if (!g) return;
    this.byId.delete(requestId);
    const key = keyOf(g.userId, g.tenantId);
    const rest = (this.byUser.get(key) ?? []).filter((x) => x.requestId !== requestId);
    if (rest.length) this.byUser.set(key, rest);
    else this.byUser.delete(key);
  }

  /**
   * Drops grants that ended before `now`, and tombstones older than any grant can live (a day,
   * the longest access cap), by which time no stale read can still hold them. Memory only:
   * answers never depend on it.
   */
  prune(now: Date): void {
    const t = now.getTime();
    for (const g of [...this.byId.values()]) if (g.endsAtMs <= t) this.remove(g.requestId);
    const cutoff = Date.now() - 25 * 60 * 60_000;
    for (const [id, at] of this.ended) if (at < cutoff) this.ended.delete(id);
  }

  /**
   * The answer from memory. `write` includes `read`. Of several grants that allow, the one
   * lasting longest answers. Never allows outside [accessStartsAt, accessEndsAt).
   */
  check(userId: string, tenantId: string, service: string, level: AccessLevel, now: Date): CheckResult {
    const grants = this.byUser.get(keyOf(userId, tenantId));
    if (!grants) return { allowed: false, reason: "no_active_grant" };
    const t = now.getTime();
    let best: Grant | undefined;
    let reason: CheckReason = "no_active_grant";
    for (const g of grants) {
      let r: CheckReason;
      if (t >= g.endsAtMs) r = "expired";
      else if (t < g.startsAtMs) r = "not_started";
      else if (!g.services.has(service)) r = "service_not_granted";
      else if (level === "write" && g.accessLevel !== "write") r = "insufficient_access";
      else r = "granted";
      if (r === "granted" && (!best || g.endsAtMs > best.endsAtMs)) best = g;
      if (reasonRank[r] > reasonRank[reason]) reason = r;
    }
    if (best) return { allowed: true, requestId: best.requestId, expiresAt: best.endsAt, reason: "granted" };
    return { allowed: false, reason };
  }
}
