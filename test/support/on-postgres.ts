import { test } from "node:test";
import pg from "pg";
import { pgAdminUrl } from "./test-database.js";

/**
 * Runs an integration suite again on PostgreSQL, in this process (each test file has its own).
 * Without a reachable server it reports one skipped test that says so, never a silent pass.
 */
export async function onPostgres(suite: string): Promise<void> {
  if (!(await postgresReachable(`PostgreSQL suite ${suite}`))) return;
  process.env.LOCKBOX_TEST_DATABASE = "postgres";
  await import(`../${suite}`);
}

/** Whether the test PostgreSQL answers; if not, registers one skipped test saying so. */
export async function postgresReachable(suite: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    test(`${suite}: SKIPPED, no PostgreSQL at ${pgAdminUrl} (${why})`, { skip: true }, () => {});
    return false;
  }
}
