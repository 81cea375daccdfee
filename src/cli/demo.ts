import fs from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { type App, redactPaths } from "../app.js";
import { gatewayWalkthrough, startDemoGateway } from "../demo/demo-gateway.js";
import type { Config } from "../config.js";
import { findUserRowByEmail, toUser } from "../identity/user-queries.js";
import { startDemoSso } from "../demo/demo-sso.js";
import { seedDemo } from "../demo/seed-demo.js";
import { effectiveStatus } from "../requests/request-lifecycle.js";
import { CliError } from "./fail.js";
import { serve } from "./serve.js";

/** Written into a folder the demo seeded, so `--reset` never deletes a folder it did not make. */
export const DEMO_MARKER = ".lockbox-demo";
export const DEMO_LOG_FILE = "lockbox.log";

/**
 * `lockbox demo`: a server with a seeded provider, two tenants and one user per role, and an
 * OpenID provider of its own as Contoso's identity provider (src/demo/demo-sso.ts). Unless
 * LOCKBOX_DATA_DIR or LOCKBOX_DATABASE_URL says otherwise it keeps its data apart from a real
 * installation's, under ./demo-data, and seeds only an empty database; `--reset` starts over.
 *
 * Its terminal is for a person following the walk-through: only warnings and errors appear there
 * (one line each); the full JSON log goes to lockbox.log in the demo's data folder.
 */
export async function demo(config: Config, options: { reset?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dataConfig = env.LOCKBOX_DATA_DIR ? config : { ...config, dataDir: path.resolve("demo-data") };
  // The demo's identity provider is plain http on loopback: allowed here, on one machine only.
  const demoConfig = { ...dataConfig, webhookAllowPrivate: true };
  if (options.reset) resetDemoData(demoConfig, !env.LOCKBOX_DATA_DIR);
  fs.mkdirSync(demoConfig.dataDir, { recursive: true });
  const logFile = path.join(demoConfig.dataDir, DEMO_LOG_FILE);
  const app = await serve(
    demoConfig,
    async (app) => {
      const seeded = await app.deps.db.selectFrom("tenants").select("id").limit(1).executeTakeFirst();
      if (seeded) {
        process.stdout.write(
          "Demo data already present; its passwords were printed when it was seeded.\n" +
            "  To start over with fresh data and new passwords: npm run demo -- --reset (or npx lockbox demo --reset)\n",
        );
        return;
      }
      const adminRow = await findUserRowByEmail(app.deps.db, config.adminEmail);
      if (!adminRow) throw new Error("the demo needs the provider admin created at first start");
      const logins = await seedDemo(app.deps, toUser(adminRow));
      if (!config.databaseUrl) fs.writeFileSync(path.join(demoConfig.dataDir, DEMO_MARKER), "Seeded by lockbox demo; `lockbox demo --reset` may delete this folder.\n");
      const width = Math.max(...logins.map((l) => l.email.length));
      process.stdout.write("\nDemo users (passwords shown once):\n");
      for (const l of logins) {
        process.stdout.write(`  ${l.org.padEnd(9)} ${l.role.padEnd(17)} ${l.email.padEnd(width)}  ${l.password}\n`);
      }
      process.stdout.write(
        "\nStep-up is off in the demo tenants, so decisions need no second factor. To try it, each approver adds a\n" +
          "  passkey or an authenticator app under My account, then grace@… turns on requireMfaForDecisions in Settings.\n",
      );
    },
    { log: demoLogger(demoConfig.logLevel, logFile) },
  );
  process.stdout.write(`  Full logs (JSON): ${logFile}\n`);
  process.stdout.write((await startDemoSso(app, demoConfig)).text);
  await showGateway(app, demoConfig);
}

/**
 * Deletes the demo's data so the next start seeds afresh. Only its own folder: ./demo-data, or a
 * LOCKBOX_DATA_DIR the demo marked when it seeded it; never a database it cannot delete safely.
 */
function resetDemoData(config: Config, ownFolder: boolean): void {
  if (config.databaseUrl) {
    throw new CliError("--reset deletes the demo's SQLite folder; with LOCKBOX_DATABASE_URL, drop and re-create that database yourself.", 2);
  }
  const dir = config.dataDir;
  if (!fs.existsSync(dir)) return;
  if (!ownFolder && !fs.existsSync(path.join(dir, DEMO_MARKER))) {
    throw new CliError(`--reset: ${dir} was not seeded by lockbox demo (no ${DEMO_MARKER} file); refusing to delete it.`, 2);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`Demo data in ${dir} deleted; seeding afresh.\n`);
}

/** Full JSON logs to the file; warnings and errors to the terminal as one readable line each. */
function demoLogger(level: string, file: string): Logger {
  const terminal = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
          const what = entry.level >= 50 ? "error" : "warning";
          process.stderr.write(`${what}: ${entry.msg ?? ""}${entry.err?.message ? ` (${entry.err.message})` : ""}\n`);
        } catch {
          process.stderr.write(`${line}\n`);
        }
      }
      done();
    },
  });
  return pino(
    { level, redact: { paths: redactPaths, censor: "[redacted]" } },
    pino.multistream([
      { level: level as pino.Level, stream: pino.destination({ dest: file, append: true, mkdir: true, sync: true }) },
      { level: "warn", stream: terminal },
    ]),
  );
}

/** The enforcement part of the demo: a sample mailbox admin API behind `lockbox gateway`. */
async function showGateway(app: App, config: Config): Promise<void> {
  const adminRow = await findUserRowByEmail(app.deps.db, config.adminEmail);
  const contoso = await app.deps.db.selectFrom("tenants").select("id").where("name", "=", "Contoso").executeTakeFirst();
  if (!adminRow || !contoso) return;
  const gatewayPort = config.port === 0 ? 0 : config.port + 1;
  const gw = await startDemoGateway(app, { user: toUser(adminRow) }, gatewayPort);
  const request = await app.deps.db
    .selectFrom("access_requests")
    .selectAll()
    .where("ticket", "=", "CASE-1003")
    .where("tenant_id", "=", contoso.id)
    .executeTakeFirst();
  const address = app.server.server.address() as AddressInfo;
  // The walk-through uses CASE-1003's grant; on a later start it may have been revoked or run out.
  const status = request ? effectiveStatus(request, app.deps.clock.now()) : undefined;
  if (request && status !== "approved") {
    process.stdout.write(
      `\nSample mailbox admin API (service "mail") behind a Lockbox gateway: ${gw.gatewayUrl}\n` +
        `  The walk-through uses Eddie's CASE-1003, which is no longer approved (it is ${status}${request.end_reason && request.end_reason !== status ? `: ${request.end_reason.replaceAll("_", " ")}` : ""}).\n` +
        "  Start over with fresh demo data to follow it: npm run demo -- --reset\n\n",
    );
  } else {
    process.stdout.write(
      gatewayWalkthrough({ server: `http://127.0.0.1:${address.port}`, gateway: gw.gatewayUrl, tenantId: contoso.id, requestId: request?.id }),
    );
  }
  const stop = () => void gw.close();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
