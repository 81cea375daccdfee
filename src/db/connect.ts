import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Database, Db } from "./schema.js";

export interface DbTarget {
  databaseUrl?: string;
  dataDir: string;
  /** SQLite only; default "full". */
  sqliteSynchronous?: "full" | "normal";
  /** PostgreSQL pool (LOCKBOX_PG_*): connections, and how long a request waits for one. */
  pgPoolSize?: number;
  pgAcquireTimeoutMs?: number;
  /** Per statement and per lock wait; 0 turns the limit off. */
  pgStatementTimeoutMs?: number;
  pgLockTimeoutMs?: number;
}

/** How each database this process opened can be probed without its pool (see probeDatabase). */
const probes = new WeakMap<Db, () => Promise<void>>();
const pools = new WeakMap<Db, pg.Pool>();
/** SQLite: the connection and a prepared `pragma data_version` (see sqliteDataVersion). */
const sqliteFiles = new WeakMap<Db, { file: SQLite.Database; version: SQLite.Statement }>();

/**
 * Opens the embedded SQLite file (WAL, foreign keys on) or, with a postgres:// URL, a pool.
 * SQLite's single connection serializes transactions, which is what makes compare-and-set and
 * per-chain audit appends safe there; PostgreSQL gets the same guarantees from row locks.
 */
export function connectDb(target: DbTarget): Db {
  if (target.databaseUrl) {
    // A request that cannot get a connection in time, a statement that runs too long and a lock
    // wait that lasts too long all fail fast (answered 503 busy, see isDatabaseBusy) instead of
    // piling up behind a stuck writer.
    const pool = new pg.Pool({
      connectionString: target.databaseUrl,
      max: target.pgPoolSize ?? 10,
      connectionTimeoutMillis: target.pgAcquireTimeoutMs ?? 10_000,
      ...(target.pgStatementTimeoutMs ? { statement_timeout: target.pgStatementTimeoutMs } : {}),
      ...(target.pgLockTimeoutMs ? { lock_timeout: target.pgLockTimeoutMs } : {}),
    });
    // An idle connection the server drops (restart, failover) is reported here; without a
    // listener it would crash the process. The pool replaces it; queries in flight fail alone.
    pool.on("error", (err) => process.emitWarning(`PostgreSQL connection lost: ${err.message}`));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    pools.set(db, pool);
    const url = target.databaseUrl;
    probes.set(db, async () => {
      // Its own short-lived connection: never queued behind the pool's writers.
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 2000, application_name: "lockbox-readyz" });
      try {
        await client.connect();
        await client.query("select 1");
      } finally {
        await client.end().catch(() => {});
      }
    });
    return db;
  }
  fs.mkdirSync(target.dataDir, { recursive: true });
  const file = new SQLite(path.join(target.dataDir, "lockbox.db"));
  file.pragma("journal_mode = WAL");
  file.pragma("foreign_keys = ON");
  file.pragma("busy_timeout = 5000");
  // FULL: a write Lockbox has answered survives a power loss (in WAL mode NORMAL may lose the
  // last commits, e.g. an approval already reported). LOCKBOX_SQLITE_SYNCHRONOUS=normal trades that.
  file.pragma(target.sqliteSynchronous === "normal" ? "synchronous = NORMAL" : "synchronous = FULL");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
  sqliteFiles.set(db, { file, version: file.prepare("pragma data_version").pluck() });
  const fileName = path.join(target.dataDir, "lockbox.db");
  probes.set(db, async () => {
    // A second, read-only handle: in WAL mode it reads while the main connection is in a write
    // transaction, where a query through Kysely would wait for that transaction to end.
    const probe = new SQLite(fileName, { readonly: true, fileMustExist: true, timeout: 2000 });
    try {
      probe.prepare("select 1").get();
    } finally {
      probe.close();
    }
  });
  return db;
}

/** Whether the database answers, without waiting for a pool connection (`/readyz`). */
export async function probeDatabase(db: Db): Promise<void> {
  const probe = probes.get(db);
  if (probe) return probe();
  await sql`select 1`.execute(db);
}

/**
 * SQLite: a number that changes when another connection (another process on the same file)
 * commits, and not for this connection's own commits (SQLite's `data_version`). Undefined on
 * PostgreSQL, and while this connection is inside a transaction (its view is then the
 * transaction's snapshot). The grant index uses it to know that no other process granted access.
 */
export function sqliteDataVersion(db: Db): number | undefined {
  const s = sqliteFiles.get(db);
  if (!s || s.file.inTransaction) return undefined;
  return s.version.get() as number;
}

/** Whether a new query would wait for a pool connection now (PostgreSQL; SQLite never says so). */
export function isPoolSaturated(db: Db): boolean {
  const pool = pools.get(db);
  return pool !== undefined && (pool.waitingCount > 0 || (pool.totalCount >= pool.options.max && pool.idleCount === 0));
}

/**
 * Errors that mean "the database is busy, try again" rather than a fault: no pool connection
 * within the acquire timeout, statement_timeout, lock_timeout, SQLite's busy timeout. The HTTP
 * layer answers them 503 `busy` with Retry-After, never 500.
 */
export function isDatabaseBusy(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (code === "57014" || code === "55P03" || code === "SQLITE_BUSY") return true;
  return /timeout exceeded when trying to connect|connection timeout/i.test(err.message);
}
