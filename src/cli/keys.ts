import type { Command } from "commander";
import { loadConfig } from "../config.js";
import type { Db } from "../db/schema.js";

/**
 * `lockbox keys list|rotate`: work on the database directly (like `lockbox migrate`), so they need
 * the server's LOCKBOX_DATABASE_URL / LOCKBOX_DATA_DIR and, for rotate, its LOCKBOX_SECRET (or
 * key file). Running servers pick up a rotation within KEY_RELOAD_MS.
 */
export function registerKeyCommands(program: Command): void {
  const keys = program.command("keys").description("the Ed25519 keys that sign grant tokens and audit checkpoints");
  keys
    .command("list")
    .description("list signing keys: the active one, retired ones still published, and older ones")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const { listSigningKeys } = await import("../keys/signing-keys.js");
      const list = await withDatabase(loadConfig(), (db) => listSigningKeys(db, new Date()));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) process.stdout.write("no signing keys yet; the server creates one on first start\n");
      for (const k of list) {
        const until = k.state === "published" ? ` (published until ${k.publishUntil})` : "";
        process.stdout.write(`${k.kid}  ${k.state.padEnd(11)}  created ${k.createdAt}${until}\n`);
      }
    });
  keys
    .command("rotate")
    .description("create a new signing key; the old one keeps verifying until its last token expires")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const result = await rotateKeys();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(`new signing key ${result.kid}\n`);
      for (const kid of result.retired) process.stdout.write(`retired ${kid}; stays in the JWKS until ${result.publishUntil}\n`);
      const { KEY_RELOAD_MS } = await import("../keys/keyring.js");
      process.stdout.write(`running servers sign with the new key within ${KEY_RELOAD_MS / 1000} s\n`);
    });
}

export async function rotateKeys(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const [{ loadMasterKey }, { rotateSigningKey }] = await Promise.all([import("../keys/master-key.js"), import("../keys/signing-keys.js")]);
  const masterKey = loadMasterKey(config);
  // On an empty installation this just creates the first key.
  return withDatabase(config, (db) => rotateSigningKey(db, masterKey, new Date(), config.maxAccessMinutes));
}

/** Opens the server's database (migrated), runs `fn`, closes it; loaded only when a command needs it. */
async function withDatabase<T>(config: ReturnType<typeof loadConfig>, fn: (db: Db) => Promise<T>): Promise<T> {
  const [{ connectDb }, { migrateToLatest }] = await Promise.all([import("../db/connect.js"), import("../db/migrate.js")]);
  const db = connectDb(config);
  try {
    await migrateToLatest(db);
    return await fn(db);
  } finally {
    await db.destroy();
  }
}
