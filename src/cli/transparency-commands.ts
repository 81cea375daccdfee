import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { fail } from "./fail.js";

const positiveInt = (flag: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(`${flag} must be a whole number from 1 to ${max}`, 2);
  return n;
};

/** The transparency log's commands (SPEC §16): `audit monitor`, `audit log-key`, `witness`. */
export function registerTransparencyCommands(program: Command, audit: Command): void {
  audit
    .command("monitor")
    .description("watch a chain's signed checkpoints: exit 1 (and alert) the moment the log forks or shrinks")
    .requiredOption("--server <url>", "the Lockbox server")
    .requiredOption("--chain <chain>", "the chain to watch, e.g. tenant:<id> or provider")
    .requiredOption("--state <file>", "where the last accepted checkpoint and the pinned log key are kept")
    .option("--interval <seconds>", "check every so many seconds (default: check once and exit)", positiveInt("--interval", 86_400))
    .option("--alert-webhook <url>", "POST a JSON alert here before exiting on a fork or shrink")
    .option("--log-key <key|file>", "pin this log verifier key on the first run (default: the server's, trusted on first use)")
    .addHelpText("after", "\nExit codes: 0 consistent, 1 forked/shrunk/bad signature (alert), 2 bad input, 3 server unreachable.")
    .action(async (opts: { server: string; chain: string; state: string; interval?: number; alertWebhook?: string; logKey?: string }) => {
      const [{ connect }, { auditMonitor }] = await Promise.all([import("./client/connection.js"), import("./audit-monitor.js")]);
      await auditMonitor(connect({ server: opts.server }), opts);
    });

  const logKey = audit.command("log-key").description("the audit log key that signs checkpoints (C2SP signed notes)");
  logKey
    .command("rotate")
    .description("make a new audit log key; retired keys stay published at /v1/audit/log-key")
    .action(async () => {
      const [{ connectDb }, { migrateToLatest }, { rotateAuditLogKey }] = await Promise.all([
        import("../db/connect.js"),
        import("../db/migrate.js"),
        import("../audit/log-key.js"),
      ]);
      const config = loadConfig();
      const db = connectDb(config);
      try {
        await migrateToLatest(db);
        const result = await rotateAuditLogKey(db, config, new Date());
        process.stdout.write(`new audit log key ${result.verifierKey}\n`);
        for (const id of result.retired) process.stdout.write(`retired ${id}; still published\n`);
      } finally {
        await db.destroy();
      }
    });

  const witness = program.command("witness").description("a transparency-log witness (C2SP tlog-witness) you run yourself");
  witness
    .command("keygen")
    .description("make a witness key (file mode 0600) and print its verifier key")
    .requiredOption("--name <name>", "the witness's name, e.g. witness.example.com/w1")
    .requiredOption("--out <file>", "where to write the private key")
    .action(async (opts: { name: string; out: string }) => {
      const { witnessKeygen } = await import("./witness.js");
      witnessKeygen(opts.name, opts.out);
    });
  witness
    .command("serve")
    .description("cosign checkpoints that extend the last one cosigned; POST /add-checkpoint")
    .requiredOption("--key <file>", "the key from `lockbox witness keygen`")
    .requiredOption("--log <origin=key>", "a log to witness: <origin>=<log verifier key> (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .requiredOption("--port <n>", "port to listen on", positiveInt("--port", 65_535))
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .requiredOption("--state <file>", "where the latest cosigned checkpoint of each log is kept")
    .action(async (opts: { key: string; log: string[]; port: number; host: string; state: string }) => {
      const { witnessServe } = await import("./witness.js");
      await witnessServe({ key: opts.key, logs: opts.log, port: opts.port, host: opts.host, state: opts.state });
    });
}
