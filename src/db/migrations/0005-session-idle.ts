import { type Kysely, sql } from "kysely";

/**
 * Idle expiry: a session remembers when it was last used (written at most once a minute).
 * Sessions that exist already count as last used when they were created.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("sessions").addColumn("last_seen_at", "text").execute();
  await sql`update sessions set last_seen_at = created_at where last_seen_at is null`.execute(db);
  await db.schema.createIndex("sessions_user_idx").ifNotExists().on("sessions").column("user_id").execute();
}
