import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/**
 * Where a test app keeps its data: a fresh SQLite file in a temp folder by default, or, with
 * LOCKBOX_TEST_DATABASE=postgres, a fresh PostgreSQL database created on the local server
 * (LOCKBOX_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test) and dropped afterwards.
 */
export interface TestDatabase {
  kind: "sqlite" | "postgres";
  dataDir: string;
  databaseUrl?: string;
  drop(): Promise<void>;
}

export const pgAdminUrl = process.env.LOCKBOX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const adminUrl = pgAdminUrl;

export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-test-"));
  const removeDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  // Read at call time: the PostgreSQL wrappers (test/postgres/) set it before importing a suite.
  if (process.env.LOCKBOX_TEST_DATABASE !== "postgres") return { kind: "sqlite", dataDir, drop: async () => removeDir() };

  const name = `lockbox_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind: "postgres",
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      removeDir();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
