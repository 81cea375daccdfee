import type { Deps } from "../deps.js";

/** Finished messages and delivery attempts are kept this long (the deliveries API shows them). */
export const KEEP_FINISHED_DAYS = 30;

/**
 * Deletes outbox rows that are done (sent, failed or canceled) and delivery log entries older
 * than KEEP_FINISHED_DAYS, so neither table grows without bound. Pending rows are never touched.
 * Harmless to run on several servers at once.
 */
export async function pruneOutbox(deps: Deps): Promise<void> {
  const before = new Date(deps.clock.now().getTime() - KEEP_FINISHED_DAYS * 24 * 60 * 60_000).toISOString();
  await deps.db
    .deleteFrom("outbox")
    .where("status", "in", ["sent", "failed", "canceled"])
    .where("created_at", "<", before)
    .execute();
  await deps.db.deleteFrom("webhook_deliveries").where("at", "<", before).execute();
}
