import { type Kysely, sql } from "kysely";
import { isPostgres } from "../dialect.js";

/**
 * The revocations feed without a table lock (SPEC §18). On PostgreSQL a row's cursor is now
 * derived from its transaction id (xid × 2^20 + its index within the transaction, see
 * recordRevocation), which needs 64 bits. Rows written before keep their small cursors, all below
 * the new ones. SQLite is unchanged: its single writer numbers rows max + 1, in commit order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) await sql`alter table revocations alter column cursor type bigint`.execute(db);
}
