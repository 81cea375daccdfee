import { type Kysely, sql } from "kysely";
import { catchUpTree } from "../../audit/merkle-store.js";
import { isPostgres } from "../dialect.js";

/**
 * The audit log as a transparency log (SPEC §16): each chain's RFC 6962 tree (merkle_nodes, and
 * the tree's size and right edge on its head row), the installation's audit log keys, the
 * signed-note checkpoints and the witnesses' cosignatures. Chains written before this get their
 * tree here (backfill), in the migration's transaction.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  const bytes = pg ? "bytea" : "blob";
  await db.schema.alterTable("audit_heads").addColumn("tree_size", "integer", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("audit_heads").addColumn("tree_frontier", "text", (c) => c.notNull().defaultTo("")).execute();
  await db.schema.alterTable("audit_heads").addColumn("tree_pending", "text", (c) => c.notNull().defaultTo("")).execute();
  await db.schema
    .createTable("merkle_nodes")
    .addColumn("chain", "text", (c) => c.notNull())
    .addColumn("level", "integer", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("hash", bytes, (c) => c.notNull())
    .addPrimaryKeyConstraint("merkle_nodes_pk", ["chain", "level", "idx"])
    .execute();
  await db.schema
    .createTable("audit_log_keys")
    .addColumn("key_id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("public_key", "text", (c) => c.notNull())
    .addColumn("private_key_enc", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("retired_at", "text")
    .execute();
  await db.schema
    .createTable("audit_notes")
    .addColumn("chain", "text", (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("root", "text", (c) => c.notNull())
    .addColumn("note", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_notes_pk", ["chain", "size"])
    .execute();
  await db.schema
    .createTable("audit_cosignatures")
    .addColumn("chain", "text", (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("witness", "text", (c) => c.notNull())
    .addColumn("line", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_cosignatures_pk", ["chain", "size", "witness"])
    .execute();

  // Tree nodes and signed checkpoints are append-only like the events they commit to.
  if (pg) {
    await sql`CREATE FUNCTION tlog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`.execute(db);
  }
  for (const table of ["merkle_nodes", "audit_notes"]) {
    if (pg) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_update`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)}
        FOR EACH ROW EXECUTE FUNCTION tlog_append_only()`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.table(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION tlog_append_only()`.execute(db);
    } else {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_update`)} BEFORE UPDATE ON ${sql.table(table)}
        BEGIN SELECT RAISE(ABORT, ${sql.lit(`${table} is append-only`)}); END`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_delete`)} BEFORE DELETE ON ${sql.table(table)}
        BEGIN SELECT RAISE(ABORT, ${sql.lit(`${table} is append-only`)}); END`.execute(db);
    }
  }

  // Like the head's seq (0007), the tree it carries only grows.
  if (pg) {
    await sql`CREATE FUNCTION audit_tree_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_heads: a chain''s tree only grows'; END $$`.execute(db);
    await sql`CREATE TRIGGER audit_tree_forward_only BEFORE UPDATE ON audit_heads
      FOR EACH ROW WHEN (NEW.tree_size < OLD.tree_size) EXECUTE FUNCTION audit_tree_guard()`.execute(db);
  } else {
    await sql`CREATE TRIGGER audit_tree_forward_only BEFORE UPDATE ON audit_heads
      WHEN NEW.tree_size < OLD.tree_size
      BEGIN SELECT RAISE(ABORT, 'audit_heads: a chain''s tree only grows'); END`.execute(db);
  }

  const heads = await db.selectFrom("audit_heads").select("chain").execute();
  for (const { chain } of heads) await catchUpTree(db, chain as string);
}
