import { type Kysely, sql } from "kysely";
import { isPostgres } from "../dialect.js";

/**
 * SPEC 13: the database guards the chain's head as it guards the events (0001). A deleted head
 * row would let the next append start the chain again at seq 1 (or wedge it on the unique
 * (chain, seq)), and a head moved back would hide the newest events from checkpoints. So a head
 * row can never be deleted or truncated, never renamed, and its seq never goes down; appends
 * (seq up by one, hash replaced) and columns added later are untouched.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          RAISE EXCEPTION 'audit_heads: a chain head only moves forward';
        END IF;
        RAISE EXCEPTION 'audit_heads: a chain head can never be deleted';
      END $$`.execute(db);
    await sql`CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_heads
      FOR EACH ROW EXECUTE FUNCTION audit_head_guard()`.execute(db);
    await sql`CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_heads
      FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard()`.execute(db);
    await sql`CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_heads
      FOR EACH ROW WHEN (NEW.chain IS DISTINCT FROM OLD.chain OR NEW.seq < OLD.seq)
      EXECUTE FUNCTION audit_head_guard()`.execute(db);
  } else {
    await sql`CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_heads
      BEGIN SELECT RAISE(ABORT, 'audit_heads: a chain head can never be deleted'); END`.execute(db);
    await sql`CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_heads
      WHEN NEW.chain IS NOT OLD.chain OR NEW.seq < OLD.seq
      BEGIN SELECT RAISE(ABORT, 'audit_heads: a chain head only moves forward'); END`.execute(db);
  }
}
