#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config.js";
import { connectDb } from "../db/connect.js";
import { migrateToLatest } from "../db/migrate.js";
import { auditVerify } from "./audit-verify.js";
import { demo } from "./demo.js";
import { CliError } from "./fail.js";
import { serve } from "./serve.js";

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
    await serve(loadConfig());
  });

program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(async () => {
    const db = connectDb(loadConfig());
    try {
      const applied = await migrateToLatest(db);
      process.stdout.write(applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n");
    } finally {
      await db.destroy();
    }
  });

program
  .command("demo")
  .description("run a server seeded with a demo provider, two tenants and one user per role")
  .action(async () => {
    await demo(loadConfig());
  });

const audit = program.command("audit").description("work with the audit log");
audit
  .command("verify")
  .description("re-compute every hash of an exported chain (JSONL) and check its continuity")
  .argument("<file>", "a JSONL export from GET /v1/audit/export")
  .addHelpText("after", "\nExit codes: 0 verified, 1 broken (names the first bad seq), 2 unreadable file.\n\nExample:\n  lockbox audit verify tenant.jsonl")
  .action(async (file: string) => {
    await auditVerify(file);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CliError) {
    process.stderr.write(`lockbox: ${err.message}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`lockbox: ${message}\n`);
  process.exit(1);
});
