import { type Kysely, type Migration, Migrator, sql } from "kysely";
import { isPostgres } from "./dialect.js";
import * as initial from "./migrations/0001-initial.js";
import * as enforcement from "./migrations/0002-enforcement.js";
import * as notifications from "./migrations/0003-notifications.js";
import * as checkpoints from "./migrations/0004-checkpoints.js";
import * as sessionIdle from "./migrations/0005-session-idle.js";
import * as emailPerOrg from "./migrations/0006-email-per-org.js";
import * as chainHeadGuard from "./migrations/0007-chain-head-guard.js";
import * as transparencyLog from "./migrations/0008-transparency-log.js";
import * as userLifecycle from "./migrations/0009-user-lifecycle.js";
import * as auditSinks from "./migrations/0010-audit-sinks.js";
import * as sso from "./migrations/0011-sso.js";
import * as passkeysTotp from "./migrations/0012-passkeys-totp.js";
import * as revocationSequence from "./migrations/0013-revocation-sequence.js";
import * as stepUp from "./migrations/0014-step-up.js";
import * as signedApprovals from "./migrations/0015-signed-approvals.js";
import * as workflow from "./migrations/0016-workflow.js";
import * as policiesBreakGlass from "./migrations/0017-policies-break-glass.js";

/** Migrations are imported, not read from disk, so the compiled package carries them. */
const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-enforcement": enforcement,
  "0003-notifications": notifications,
  "0004-checkpoints": checkpoints,
  "0005-session-idle": sessionIdle,
  "0006-email-per-org": emailPerOrg,
  "0007-chain-head-guard": chainHeadGuard,
  "0008-transparency-log": transparencyLog,
  "0009-user-lifecycle": userLifecycle,
  "0010-audit-sinks": auditSinks,
  "0011-sso": sso,
  "0012-passkeys-totp": passkeysTotp,
  "0013-revocation-sequence": revocationSequence,
  "0014-step-up": stepUp,
  "0015-signed-approvals": signedApprovals,
  "0016-workflow": workflow,
  "0017-policies-break-glass": policiesBreakGlass,
};

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  // On PostgreSQL, on one connection with LOCKBOX_PG_STATEMENT_TIMEOUT_MS / LOCK_TIMEOUT_MS lifted:
  // a migration may rebuild a large table, and an instance starting during another's migration
  // waits on the migration lock rather than failing. RESET restores the connection's limits.
  if (!isPostgres(db)) return migrate(db);
  return db.connection().execute(async (conn) => {
    await sql`set statement_timeout = 0`.execute(conn);
    await sql`set lock_timeout = 0`.execute(conn);
    try {
      return await migrate(conn);
    } finally {
      await sql`reset statement_timeout`.execute(conn);
      await sql`reset lock_timeout`.execute(conn);
    }
  });
}

async function migrate(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
