import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("audit_checkpoints")
    .addColumn("chain", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("jws", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_checkpoints_pk", ["chain", "seq"])
    .execute();
}
