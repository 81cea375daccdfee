import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { CliError } from "./fail.js";

/** `lockbox admin …`: operator commands that run where the database is, with `serve`'s configuration. */
export function registerAdminCommands(program: Command): void {
  const admin = program.command("admin").description("operator commands, run where the server's database is (same LOCKBOX_* configuration as serve)");
  admin
    .command("reset-password")
    .description("set a provider user's password (LOCKBOX_ADMIN_PASSWORD, or a generated one printed once) and end their sessions")
    .requiredOption("--email <email>", "the provider user, e.g. the provider admin")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  LOCKBOX_ADMIN_PASSWORD='a long new password' npx lockbox admin reset-password --email admin@lockbox.local\n" +
        "  npx lockbox admin reset-password --email admin@lockbox.local   # prints a generated password once",
    )
    .action(async (opts: { email: string }) => {
      const [{ connectDb }, { migrateToLatest }, { resetPassword }, { AppError }] = await Promise.all([
        import("../db/connect.js"),
        import("../db/migrate.js"),
        import("../identity/reset-password.js"),
        import("../errors.js"),
      ]);
      const config = loadConfig();
      const db = connectDb(config);
      try {
        await migrateToLatest(db);
        const reset = await resetPassword(db, new Date(), { email: opts.email, password: config.adminPassword }).catch((err: unknown) => {
          throw err instanceof AppError ? new CliError(err.message) : err;
        });
        const ended = `${reset.sessionsEnded} session${reset.sessionsEnded === 1 ? "" : "s"} ended`;
        if (reset.generatedPassword) {
          process.stdout.write(`The password of ${reset.email} was reset (${ended}).\nNew password (shown once): ${reset.generatedPassword}\n`);
        } else {
          process.stdout.write(`The password of ${reset.email} was reset to the one in LOCKBOX_ADMIN_PASSWORD (${ended}).\n`);
        }
        if (reset.status === "deactivated") process.stdout.write("Note: this account is deactivated; an admin must reactivate it before it can sign in.\n");
      } finally {
        await db.destroy();
      }
    });
}
