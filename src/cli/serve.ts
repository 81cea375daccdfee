import { type App, createApp } from "../app.js";
import type { Config } from "../config.js";
import { connectDb } from "../db/connect.js";
import { bootstrapAdmin } from "../identity/bootstrap-admin.js";

/** Starts the server and stops it gracefully on SIGTERM/SIGINT: in-flight requests finish. */
export async function serve(config: Config, afterStart?: (app: App) => Promise<void>): Promise<App> {
  const app = await createApp({ db: connectDb(config), config });
  const admin = await bootstrapAdmin(app.deps);
  await afterStart?.(app);
  app.sweeper.start();
  app.checkpointer.start();
  app.dispatcher.start();
  await app.server.listen({ port: config.port, host: config.host });
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
  const where = config.databaseUrl ? "PostgreSQL" : `${config.dataDir}/lockbox.db`;
  process.stdout.write(`\nLockbox is running at ${config.publicUrl} (data: ${where})\n`);
  process.stdout.write(`  API docs: ${config.publicUrl}/docs\n`);
  if (admin?.generatedPassword) {
    process.stdout.write(
      `  First start: provider admin ${admin.email} with password ${admin.generatedPassword}\n` +
        "  (shown once; set LOCKBOX_ADMIN_PASSWORD to choose it)\n",
    );
  } else if (admin) {
    process.stdout.write(`  First start: provider admin ${admin.email} with the password in LOCKBOX_ADMIN_PASSWORD\n`);
  }
  process.stdout.write(
    `  Sign in: curl -c cookies.txt -H 'content-type: application/json' -d '{"email":"…","password":"…"}' ${config.publicUrl}/v1/auth/login\n\n`,
  );

  return app;
}
