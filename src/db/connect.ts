import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { Database, Db } from "./schema.js";

export interface DbTarget {
  databaseUrl?: string;
  dataDir: string;
}

/**
 * Opens the embedded SQLite file (WAL, foreign keys on) or, with a postgres:// URL, a pool.
 * SQLite's single connection serializes transactions, which is what makes compare-and-set and
 * per-chain audit appends safe there; PostgreSQL gets the same guarantees from row locks.
 */
export function connectDb(target: DbTarget): Db {
  if (target.databaseUrl) {
    const pool = new pg.Pool({ connectionString: target.databaseUrl, max: 10 });
    // An idle connection the server drops (restart, failover) is reported here; without a
    // listener it would crash the process. The pool replaces it; queries in flight fail alone.
    pool.on("error", (err) => process.emitWarning(`PostgreSQL connection lost: ${err.message}`));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  fs.mkdirSync(target.dataDir, { recursive: true });
  const file = new SQLite(path.join(target.dataDir, "lockbox.db"));
  file.pragma("journal_mode = WAL");
  file.pragma("foreign_keys = ON");
  file.pragma("busy_timeout = 5000");
  file.pragma("synchronous = NORMAL");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
}
