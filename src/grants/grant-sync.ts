import type { Deps } from "../deps.js";

/** How often an instance reads the revocations table for ends made by other instances. */
export const REVOCATION_SYNC_MS = 500;
/** How often the whole index is rebuilt from the database, as a backstop. */
const FULL_RELOAD_MS = 5 * 60_000;

export interface GrantSync {
  stop(): Promise<void>;
}

/**
 * Keeps this instance's grant index in step with changes other instances made to the shared
 * database: twice a second it applies new revocations rows (early and on-time ends), and every
 * five minutes it rebuilds the index. Its own changes arrive at once through the request
 * listener; this loop only bounds the lag for the others' (PostgreSQL LISTEN/NOTIFY can later
 * call `deps.grants.refresh` directly).
 */
export async function startGrantSync(deps: Deps): Promise<GrantSync> {
  const head = await deps.db.selectFrom("revocations").select((eb) => eb.fn.max("cursor").as("max")).executeTakeFirst();
  let cursor = Number(head?.max ?? 0);
  let lastReload = Date.now();
  let running: Promise<void> | undefined;
  const tick = async () => {
    const rows = await deps.db
      .selectFrom("revocations")
      .select(["cursor", "request_id"])
      .where("cursor", ">", cursor)
      .orderBy("cursor")
      .limit(1000)
      .execute();
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
  const timer = setInterval(() => {
    running ??= tick()
      .catch((err: unknown) => deps.log.warn({ err }, "grant index sync failed; retrying"))
      .finally(() => {
        running = undefined;
      });
  }, REVOCATION_SYNC_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
