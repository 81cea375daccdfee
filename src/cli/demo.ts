import type { AddressInfo } from "node:net";
import path from "node:path";
import type { App } from "../app.js";
import { gatewayWalkthrough, startDemoGateway } from "../demo/demo-gateway.js";
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
  const app = await serve(demoConfig, async (app) => {
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
  await showGateway(app, demoConfig);
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
    .select("id")
    .where("ticket", "=", "CASE-1003")
    .where("tenant_id", "=", contoso.id)
    .executeTakeFirst();
  const address = app.server.server.address() as AddressInfo;
  process.stdout.write(
    gatewayWalkthrough({ server: `http://127.0.0.1:${address.port}`, gateway: gw.gatewayUrl, tenantId: contoso.id, requestId: request?.id }),
  );
  const stop = () => void gw.close();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

