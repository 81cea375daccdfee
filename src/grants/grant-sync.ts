import pg from "pg";
import type { Deps } from "../deps.js";
import { sqliteDataVersion } from "../db/connect.js";
import { GRANTS_CHANNEL, grantOfWire } from "./grant-listener.js";
import { settledHead, settledRevocationsAfter } from "./revocation-feed.js";

/** How often an instance reads the revocations table for ends made by other instances. */
export const REVOCATION_SYNC_MS = 500;
/** How often the whole index is rebuilt from the database, as a backstop. */
const FULL_RELOAD_MS = 5 * 60_000;
/** Wait before re-opening a lost LISTEN connection (the poll covers the gap). */
const RELISTEN_MS = 1000;
/** The listening connection's application_name, so operators (and tests) can find it. */
export const LISTENER_APPLICATION_NAME = "lockbox-grants-listener";

export interface GrantSync {
  stop(): Promise<void>;
}

/**
 * Keeps this instance's grant index in step with changes other instances made to the shared
 * database. Its own changes arrive at once through the request listener. Others' arrive:
 * - on PostgreSQL, at once by LISTEN on a dedicated connection (outside the pool, so a pool full
 *   of writers cannot delay it): every approval and every end NOTIFYs on commit (grant-listener.ts);
 * - and, as the fallback when notifications are lost (the connection dropped, a NOTIFY missed),
 *   twice a second from the revocations table, plus a full rebuild every five minutes.
 * New grants another instance made that a lost notification missed are still found by the
 * check's database fallback on a miss (check-access.ts).
 */
export async function startGrantSync(deps: Deps): Promise<GrantSync> {
  if (!deps.config.databaseUrl) await proveBySqliteDataVersion(deps);
  let cursor = await settledHead(deps.db);
  let lastReload = Date.now();
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const tick = async () => {
    const rows = await settledRevocationsAfter(deps.db, cursor, 1000);
    for (const r of rows) {
      deps.grants.end(r.request_id);
      cursor = r.cursor;
    }
    deps.grants.markSynced();
    if (Date.now() - lastReload > FULL_RELOAD_MS) {
      lastReload = Date.now();
      await deps.grants.reloadAll(deps.clock.now());
      deps.grants.prune(deps.clock.now());
    }
  };
  // One read at a time; a request during a read runs one more right after it.
  const sync = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = tick()
      .catch((err: unknown) => deps.log.warn({ err }, "grant index sync failed; retrying"))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          sync();
        }
      });
  };
  const timer = setInterval(sync, REVOCATION_SYNC_MS);
  timer.unref();

  const listener = deps.config.databaseUrl ? listen(deps, deps.config.databaseUrl, sync, () => stopped) : undefined;
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener?.stop();
      deps.grants.close();
      await running;
    },
  };
}

/** LISTEN for other instances' grant changes; reconnects while the instance runs. */
function listen(deps: Deps, url: string, sync: () => void, isStopped: () => boolean): { stop(): Promise<void> } {
  let client: pg.Client | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const onNotification = (msg: pg.Notification) => {
    let change: { grant?: unknown; g?: unknown; end?: unknown };
    try {
      change = JSON.parse(msg.payload ?? "{}") as typeof change;
    } catch {
      return;
    }
    if (typeof change.end === "string") {
      // The end committed before the NOTIFY was delivered; apply it now, and read the feed so
      // this instance's cursor (and any long poll) moves on.
      deps.grants.end(change.end);
      sync();
    } else if (typeof change.grant === "string") {
      const grant = grantOfWire(change.grant, change.g);
      if (grant) return deps.grants.put(grant);
      // A notification without the grant (an older instance's): read it; a barrier waits for it.
      const read = deps.grants.refresh(change.grant).catch((err: unknown) => {
        deps.log.warn({ err }, "grant refresh after NOTIFY failed; reloading the index");
        // The grant may be missing: prove nothing until a full reload has brought it in.
        incomplete = true;
        deps.grants.reloadAll(deps.clock.now()).then(
          () => (incomplete = false),
          (e: unknown) => deps.log.warn({ err: e }, "grant index reload failed"),
        );
      });
      reads.add(read);
      void read.finally(() => reads.delete(read));
    }
  };
  /** Reads of notified grants in flight (a barrier waits for them), and whether one failed. */
  const reads = new Set<Promise<void>>();
  let incomplete = false;

  /**
   * A sync point with every other instance: one round trip on the listening connection. Every
   * transaction that committed before it was sent has NOTIFYed before its commit returned, and
   * PostgreSQL delivers pending notifications to a listener before it answers the listener's
   * next query; node-postgres hands them to onNotification in that order, before the answer. So
   * once the answer is back (and notified grants still being read are in), every grant committed
   * anywhere before the call is in the index. Concurrent callers share round trips: one that
   * arrives while a trip is under way waits for the next (the running one may predate it).
   * `false` when the connection is down: nothing is proven, the caller reads the database.
   */
  let trip: Promise<boolean> | undefined;
  let nextTrip: Promise<boolean> | undefined;
  const roundTrip = async (): Promise<boolean> => {
    const c = client;
    if (!c) return false;
    try {
      await c.query("select 1");
      await Promise.all([...reads]);
    } catch {
      return false;
    }
    return client === c && !incomplete;
  };
  const barrier = (): Promise<boolean> => {
    if (!trip) {
      const t = roundTrip();
      trip = t;
      void t.finally(() => {
        if (trip === t) trip = undefined;
      });
      return t;
    }
    nextTrip ??= trip.then(() => {
      nextTrip = undefined;
      return barrier();
    });
    return nextTrip;
  };
  deps.grants.provesComplete = () => (client ? barrier() : false);
  const connect = async () => {
    if (isStopped()) return;
    const c = new pg.Client({ connectionString: url, application_name: LISTENER_APPLICATION_NAME });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (client === c) client = undefined;
      c.removeAllListeners("notification");
      c.end().catch(() => {});
      if (isStopped()) return;
      deps.log.warn({ err }, "grant LISTEN connection lost; polling until it is back");
      retry = setTimeout(() => void connect(), RELISTEN_MS);
      retry.unref();
    };
    c.on("error", onLost);
    c.on("end", () => onLost());
    c.on("notification", onNotification);
    try {
      await c.connect();
      await c.query(`LISTEN ${GRANTS_CHANNEL}`);
      // Grants committed while nobody listened (before the first LISTEN, or while the connection
      // was down) sent no notification we saw: reload after LISTEN, before barriers may prove.
      await deps.grants.reloadAll(deps.clock.now());
      if (isStopped()) return void (await c.end().catch(() => {}));
      client = c;
      // Catch up on what happened while not listening.
      sync();
    } catch (err) {
      onLost(err instanceof Error ? err : new Error(String(err)));
    }
  };
  void connect();
  return {
    async stop() {
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners();
        c.on("error", () => {});
        await c.end().catch(() => {});
      }
    },
  };
}

/**
 * SQLite: every grant this process makes is in its index before anything else runs (afterCommit,
 * with no I/O between the commit and it), so the index is complete unless another process
 * committed to the same file. SQLite's data_version says exactly that: unchanged since the index
 * was last loaded, no other connection wrote, and a refusal from memory is proven. When it has
 * changed (a second instance on the file, an admin command), that refusal reads the database and
 * a full reload (one at a time) brings the index back to proving. Inside a transaction of this
 * connection the version cannot be read (see sqliteDataVersion): nothing is proven then.
 */
async function proveBySqliteDataVersion(deps: Deps): Promise<void> {
  let loadedAt: number | undefined;
  let reloading = false;
  const reload = async () => {
    const before = sqliteDataVersion(deps.db);
    if (before === undefined) return;
    await deps.grants.reloadAll(deps.clock.now());
    loadedAt = before;
  };
  await reload();
  deps.grants.provesComplete = () => {
    const now = sqliteDataVersion(deps.db);
    if (now === undefined) return false;
    if (now === loadedAt) return true;
    if (!reloading) {
      reloading = true;
      reload()
        .catch((err: unknown) => deps.log.warn({ err }, "grant index reload failed"))
        .finally(() => (reloading = false));
    }
    return false;
  };
}
