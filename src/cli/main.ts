#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config.js";
import { registerClientCommands } from "./client/register.js";
import { CliError } from "./fail.js";
import { registerGatewayCommand } from "./gateway.js";
import { registerKeyCommands } from "./keys.js";
import { registerTransparencyCommands } from "./transparency-commands.js";
import { registerAdminCommands } from "./admin.js";

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
  .option("--reset", "delete the demo's data first and seed afresh (new passwords)")
  .action(async (opts: { reset?: boolean }) => {
    const { demo } = await import("./demo.js");
    await demo(loadConfig(), { reset: opts.reset });
  });

const audit = program.command("audit").description("work with the audit log");
audit
  .command("verify")
  .description("re-compute every hash of an exported chain (JSONL) and check its continuity")
  .argument("<file>", "a JSONL export from GET /v1/audit/export")
  .option("--jwks <file|url>", "public keys (JWKS) that sign checkpoints, e.g. SERVER/v1/audit/jwks.json")
  .option("--checkpoints <file>", "the JSON of GET /v1/audit/checkpoints?chain=…; needs --jwks")
  .option("--checkpoint <file>", "a signed checkpoint (GET /v1/audit/checkpoint): prove each line by inclusion instead; the export may start at any seq")
  .option("--log-key <key|file>", "the audit log's verifier key (GET /v1/audit/log-key); with --checkpoint")
  .option("--server <url>", "with --checkpoint: fetch the inclusion proofs from this server")
  .option("--proofs <file>", "with --checkpoint: inclusion proofs as JSON lines {chain, seq, size, proof}, in the export's order")
  .option("--rp-id <host>", "the WebAuthn RP id signed decisions must name (the server's public host); default: each assertion's origin host")
  .addHelpText(
    "after",
    "\nExit codes: 0 verified, 1 broken (names the first bad seq), 2 unreadable input.\n\nExamples:\n" +
      "  lockbox audit verify tenant.jsonl\n" +
      "  lockbox audit verify tenant.jsonl --jwks https://lockbox.example/v1/audit/jwks.json --checkpoints checkpoints.json\n" +
      "  lockbox audit verify slice.jsonl --checkpoint checkpoint.txt --log-key log-key.txt --server https://lockbox.example",
  )
  .action(async (file: string, opts: { jwks?: string; checkpoints?: string; checkpoint?: string; logKey?: string; server?: string; proofs?: string; rpId?: string }) => {
    if (opts.checkpoint || opts.logKey) {
      const { auditVerifyWithProofs } = await import("./audit-verify-proofs.js");
      if (!opts.checkpoint || !opts.logKey) throw new CliError("--checkpoint and --log-key go together", 2);
      return auditVerifyWithProofs(file, { checkpoint: opts.checkpoint, logKey: opts.logKey, server: opts.server, proofs: opts.proofs });
    }
    const { auditVerify } = await import("./audit-verify.js");
    await auditVerify(file, opts);
  });

registerTransparencyCommands(program, audit);
registerKeyCommands(program);
registerAdminCommands(program);
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
