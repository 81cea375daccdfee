import { type Kysely, type Migration, Migrator } from "kysely";
import * as initial from "./migrations/0001-initial.js";

/** Migrations are imported, not read from disk, so the compiled package carries them. */
const migrations: Record<string, Migration> = {
  "0001-initial": initial,
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
