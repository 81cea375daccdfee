import type { Logger } from "pino";
import { type App, createApp } from "../app.js";
import type { Config } from "../config.js";
import { connectDb } from "../db/connect.js";
import { bootstrapAdmin } from "../identity/bootstrap-admin.js";
import { CliError } from "./fail.js";

/**
 * Starts the server and stops it gracefully on SIGTERM/SIGINT: in-flight requests finish.
 *
 * Order matters (SPEC 20): the port is bound BEFORE the first provider admin is created. A start
 * that cannot bind creates nothing, so a generated password can never be stored and then lost
 * with a crash before it was printed — which used to lock the admin out for good.
 */
export async function serve(
  config: Config,
  afterStart?: (app: App) => Promise<void>,
  options: { log?: Logger } = {},
): Promise<App> {
  const app = await createApp({ db: connectDb(config), config, ...(options.log ? { log: options.log } : {}) });
  try {
    await app.server.listen({ port: config.port, host: config.host });
    if (app.machineServer) {
      await app.machineServer.listen({ port: config.machinePort, host: config.host }).catch((err: unknown) => {
        const code = (err as NodeJS.ErrnoException | undefined)?.code;
        throw code === "EADDRINUSE" || code === "EACCES" ? new CliError(`Cannot listen on LOCKBOX_MACHINE_PORT ${config.machinePort} (${code}); choose another port.`) : err;
      });
    }
  } catch (err) {
    await app.close().catch(() => {});
    throw listenProblem(err, config);
  }
  const admin = await bootstrapAdmin(app.deps);
  await afterStart?.(app);
  app.sweeper.start();
  app.checkpointer.start();
  app.dispatcher.start();
  app.auditStreamer.start();
  // Handlers go in before anything is printed: whoever reads "running" may signal at once.
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.deps.log.info({ signal }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.deps.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  const address = app.server.server.address();
  // With LOCKBOX_PORT=0 the system picks the port: show the one it picked.
  const url = config.port === 0 && typeof address === "object" && address ? config.publicUrl.replace(/:0$/, `:${address.port}`) : config.publicUrl;
  process.stdout.write(banner(config, url, admin));
  return app;
}

function banner(config: Config, url: string, admin: Awaited<ReturnType<typeof bootstrapAdmin>>): string {
  const where = config.databaseUrl ? "PostgreSQL" : `${config.dataDir}/lockbox.db`;
  const lines = [
    "",
    `Lockbox is running at ${url} (data: ${where})`,
    `  Open the admin center in a browser: ${url}/`,
    `  API docs: ${url}/docs`,
  ];
  if (admin?.generatedPassword) {
    lines.push(
      `  First start: provider admin ${admin.email} with password ${admin.generatedPassword}`,
      "  (shown once: write it down. To choose it, set LOCKBOX_ADMIN_PASSWORD before the first start;",
      `  later, use npx lockbox admin reset-password --email ${admin.email})`,
    );
  } else if (admin) {
    lines.push(`  First start: provider admin ${admin.email} with the password in LOCKBOX_ADMIN_PASSWORD`);
  } else if (config.adminPassword) {
    // The variable only seeds an empty database; say so instead of letting a sign-in fail silently.
    lines.push(
      "  Warning: LOCKBOX_ADMIN_PASSWORD is set but was ignored: the provider admin already exists, and the",
      "  variable only chooses the password at the first start. To set it now, run where the database is:",
      `    LOCKBOX_ADMIN_PASSWORD='…' npx lockbox admin reset-password --email ${config.adminEmail}`,
    );
  }
  lines.push(
    `  Sign in: curl -c cookies.txt -H 'content-type: application/json' -d '{"email":"…","password":"…"}' ${url}/v1/auth/login`,
    "",
    "",
  );
  return lines.join("\n");
}

/** A bind failure as one sentence a person can act on. */
function listenProblem(err: unknown, config: Config): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    return new CliError(
      `Port ${config.port} on ${config.host} is already in use (another Lockbox or another program?). Stop it, or choose another port, e.g. LOCKBOX_PORT=${config.port === 8080 ? 8090 : config.port + 1}.`,
    );
  }
  if (code === "EACCES") {
    return new CliError(`Not allowed to listen on port ${config.port} on ${config.host}; choose a port above 1023 with LOCKBOX_PORT.`);
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new CliError(`Cannot listen on ${config.host}: no such address on this machine; check LOCKBOX_HOST.`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
