import { type Kysely, type Migration, Migrator } from "kysely";
import * as initial from "./migrations/0001-initial.js";
import * as enforcement from "./migrations/0002-enforcement.js";
import * as notifications from "./migrations/0003-notifications.js";
import * as checkpoints from "./migrations/0004-checkpoints.js";
import * as sessionIdle from "./migrations/0005-session-idle.js";

/** Migrations are imported, not read from disk, so the compiled package carries them. */
const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-enforcement": enforcement,
  "0003-notifications": notifications,
  "0004-checkpoints": checkpoints,
  "0005-session-idle": sessionIdle,
};

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
