import { type Kysely, sql } from "kysely";
import { isPostgres } from "../dialect.js";

/**
 * An email is unique within one org only (SPEC 13): the global unique constraint on
 * users.email becomes a unique index on (org, email), where the provider — tenant_id NULL — is
 * the org ''. NULLs are distinct in a plain unique index on both databases, hence the COALESCE:
 * without it two provider accounts could share an address. Sign-in still finds accounts by
 * email alone, so email keeps an ordinary index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    // Named by PostgreSQL for the inline UNIQUE of 0001.
    await sql`alter table users drop constraint if exists users_email_key`.execute(db);
  } else {
    await rebuildSqliteUsersWithoutEmailUnique(db);
  }
  await sql`create unique index users_org_email on users (coalesce(tenant_id, ''), email)`.execute(db);
  await sql`create index users_email on users (email)`.execute(db);
}

/**
 * SQLite cannot drop a column's inline UNIQUE (its automatic index belongs to the table), so the
 * table is rebuilt the way SQLite documents (https://sqlite.org/lang_altertable.html, "Making
 * Other Kinds Of Table Schema Changes"): with foreign keys off — a DROP TABLE with them on would
 * delete, or cascade to, every session, token, invitation and request that names a user — copy
 * into a new table, drop, rename, recreate the indexes and triggers, check the keys, commit.
 * The new table's definition is the stored one minus that UNIQUE, so columns added by other
 * migrations are kept whatever their order. Kysely runs SQLite migrations outside a transaction
 * (PRAGMA foreign_keys is a no-op inside one); this opens its own.
 */
async function rebuildSqliteUsersWithoutEmailUnique(db: Kysely<any>): Promise<void> {
  const table = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'users'`.execute(db);
  const createSql = table.rows[0]?.sql;
  if (!createSql) throw new Error("migration 0006: no users table");
  const withoutUnique = createSql.replace(/("email"\s+text\s+not null)\s+unique/i, "$1");
  if (withoutUnique === createSql) throw new Error(`migration 0006: unexpected users definition: ${createSql}`);
  const newTable = withoutUnique.replace(/^create table "?users"?/i, 'create table "users_0006"');
  const extras = await sql<{ sql: string }>`
    select sql from sqlite_master where tbl_name = 'users' and type in ('index', 'trigger') and sql is not null`.execute(db);

  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await sql.raw(newTable).execute(trx);
      await sql`insert into users_0006 select * from users`.execute(trx);
      await sql`drop table users`.execute(trx);
      await sql`alter table users_0006 rename to users`.execute(trx);
      for (const extra of extras.rows) await sql.raw(extra.sql).execute(trx);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length > 0) throw new Error(`migration 0006: foreign keys broken: ${JSON.stringify(broken.rows.slice(0, 5))}`);
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // Back to one address per installation; fails while an address is in two orgs, as it must.
  await sql`drop index users_email`.execute(db);
  await sql`drop index users_org_email`.execute(db);
  await sql`create unique index users_email_global on users (email)`.execute(db);
}
