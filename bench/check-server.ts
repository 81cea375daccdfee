/**
 * One server for bench/check.ts, in its own process so the load generator does not share its
 * event loop: `lockbox` (the real app on a fresh SQLite database with one active grant) or
 * `bare` (Fastify answering a constant JSON). Prints one JSON line: {port, machinePort, token,
 * body, refusedBody}: the main listener, the machine listener (LOCKBOX_MACHINE_PORT), a check the
 * grant allows and one it refuses.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Fastify from "fastify";
import { createApp } from "../src/app.js";
import { createService } from "../src/catalog/services.js";
import { loadConfig } from "../src/config.js";
import { connectDb } from "../src/db/connect.js";
import { createServiceCredential } from "../src/grants/service-credentials.js";
import { bootstrapAdmin } from "../src/identity/bootstrap-admin.js";
import { insertUser } from "../src/identity/manage-users.js";
import { findUserRowByEmail, toUser } from "../src/identity/user-queries.js";
import { approveRequest } from "../src/requests/approve-request.js";
import { createRequest } from "../src/requests/create-request.js";
import { createTenant } from "../src/tenants/create-tenant.js";

const kind = process.argv[2];

async function bare() {
  const app = Fastify();
  const answer = { allowed: true, requestId: "00000000-0000-0000-0000-000000000000", expiresAt: "2030-01-01T00:00:00.000Z", reason: "granted" };
  app.post("/v1/access/check", async () => answer);
  await app.listen({ port: 0, host: "127.0.0.1" });
  const body = { userId: "u", tenantId: "t", service: "mail", accessLevel: "read" };
  return { port: (app.server.address() as { port: number }).port, token: "", body, refusedBody: body };
}

async function lockbox() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lockbox-bench-"));
  process.on("exit", () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    LOCKBOX_DATA_DIR: dataDir,
    LOCKBOX_ADMIN_PASSWORD: "bench-password-long-enough",
    LOCKBOX_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
    LOCKBOX_MACHINE_PORT: "0",
  });
  const app = await createApp({ db: connectDb(config), config });
  await bootstrapAdmin(app.deps);
  const admin = { user: toUser((await findUserRowByEmail(app.deps.db, config.adminEmail))!) };
  await createService(app.deps, admin, { key: "mail", name: "Mail", description: "Mailboxes" });
  const { tenant } = await createTenant(app.deps, admin, { name: "Bench", adminEmail: "admin@bench.example" });
  const person = (name: string, role: "engineer" | "manager") =>
    app.deps.db.transaction().execute((trx) =>
      insertUser(trx, { email: `${name}@provider.example`, name, roles: [role], tenantId: null }, new Date()),
    );
  const engineer = { user: await person("erin", "engineer") };
  const manager = { user: await person("maya", "manager") };
  // Lockbox is off for this tenant, so the manager's approval grants access.
  const request = await createRequest(app.deps, engineer, {
    tenantId: tenant.id,
    ticket: "BENCH-1",
    reason: "benchmark",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 240,
  });
  const approved = await approveRequest(app.deps, manager, request.id, {});
  if (approved.status !== "approved") throw new Error(`bench setup: request is ${approved.status}`);
  const { token } = await createServiceCredential(app.deps, admin, { name: "bench" });
  await app.server.listen({ port: 0, host: "127.0.0.1" });
  await app.machineServer!.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.server.address() as { port: number }).port;
  const machinePort = (app.machineServer!.server.address() as { port: number }).port;
  // The refused check: the manager has no grant (no_active_grant), proven from memory.
  return {
    port,
    machinePort,
    token,
    body: { userId: engineer.user.id, tenantId: tenant.id, service: "mail", accessLevel: "read" },
    refusedBody: { userId: manager.user.id, tenantId: tenant.id, service: "mail", accessLevel: "read" },
  };
}

const info = kind === "bare" ? await bare() : kind === "lockbox" ? await lockbox() : undefined;
if (!info) throw new Error("usage: check-server.ts lockbox|bare");
process.stdout.write(`${JSON.stringify(info)}\n`);
// Exit cleanly on SIGTERM so `--cpu-prof` can write its profile when investigating.
process.once("SIGTERM", () => process.exit(0));
