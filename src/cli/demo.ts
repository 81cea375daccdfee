import path from "node:path";
import type { Config } from "../config.js";
import { findUserRowByEmail, toUser } from "../identity/user-queries.js";
import { seedDemo } from "../demo/seed-demo.js";
import { serve } from "./serve.js";

/**
 * `lockbox demo`: a server with a seeded provider, two tenants and one user per role. Unless
 * LOCKBOX_DATA_DIR or LOCKBOX_DATABASE_URL says otherwise it keeps its data apart from a real
 * installation's, under ./demo-data, and seeds only an empty database.
 */
export async function demo(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const demoConfig = env.LOCKBOX_DATA_DIR ? config : { ...config, dataDir: path.resolve("demo-data") };
  await serve(demoConfig, async (app) => {
    const seeded = await app.deps.db.selectFrom("tenants").select("id").limit(1).executeTakeFirst();
    if (seeded) {
      process.stdout.write("Demo data already present; passwords were printed when it was seeded.\n");
      return;
    }
    const adminRow = await findUserRowByEmail(app.deps.db, config.adminEmail);
    if (!adminRow) throw new Error("the demo needs the provider admin created at first start");
    const logins = await seedDemo(app.deps, toUser(adminRow));
    const width = Math.max(...logins.map((l) => l.email.length));
    process.stdout.write("\nDemo users (passwords shown once):\n");
    for (const l of logins) {
      process.stdout.write(`  ${l.org.padEnd(9)} ${l.role.padEnd(17)} ${l.email.padEnd(width)}  ${l.password}\n`);
    }
  });
}
