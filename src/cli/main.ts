#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config.js";
import { registerClientCommands } from "./client/register.js";
import { CliError } from "./fail.js";
import { registerGatewayCommand } from "./gateway.js";
import { registerKeyCommands } from "./keys.js";

// The server side (Fastify, the database drivers) loads only for the commands that need it, so a
// client command starts in a fraction of the time.

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

const program = new Command()
  .name("lockbox")
  .description("Customer lockbox: no one touches a customer's data without its time-bound, audited approval")
  .version(version)
  .showHelpAfterError();

program
  .command("serve")
  .description("run the Lockbox server (configuration from LOCKBOX_* environment variables)")
  .action(async () => {
    const { serve } = await import("./serve.js");
    await serve(loadConfig());
  });

program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(async () => {
    const [{ connectDb }, { migrateToLatest }, { trackActivity }] = await Promise.all([
      import("../db/connect.js"),
      import("../db/migrate.js"),
      import("./progress.js"),
    ]);
    const db = connectDb(loadConfig());
    try {
      const applied = await trackActivity("migrating", () => migrateToLatest(db));
      process.stdout.write(applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n");
    } finally {
      await db.destroy();
    }
  });

program
  .command("demo")
  .description("run a server seeded with a demo provider, two tenants and one user per role")
  .action(async () => {
    const { demo } = await import("./demo.js");
    await demo(loadConfig());
  });

const audit = program.command("audit").description("work with the audit log");
audit
  .command("verify")
  .description("re-compute every hash of an exported chain (JSONL) and check its continuity")
  .argument("<file>", "a JSONL export from GET /v1/audit/export")
  .option("--jwks <file|url>", "public keys (JWKS) that sign checkpoints, e.g. SERVER/v1/audit/jwks.json")
  .option("--checkpoints <file>", "the JSON of GET /v1/audit/checkpoints?chain=…; needs --jwks")
  .addHelpText(
    "after",
    "\nExit codes: 0 verified, 1 broken (names the first bad seq), 2 unreadable input.\n\nExamples:\n" +
      "  lockbox audit verify tenant.jsonl\n" +
      "  lockbox audit verify tenant.jsonl --jwks https://lockbox.example/v1/audit/jwks.json --checkpoints checkpoints.json",
  )
  .action(async (file: string, opts: { jwks?: string; checkpoints?: string }) => {
    const { auditVerify } = await import("./audit-verify.js");
    await auditVerify(file, opts);
  });

registerKeyCommands(program);
registerGatewayCommand(program);
registerClientCommands(program);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CliError) {
    process.stderr.write(`lockbox: ${err.message}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`lockbox: ${message}\n`);
  process.exit(1);
});
