import type { User } from "../../src/identity/roles.js";
import { allowDecisionsWithoutStepUp } from "./step-up.js";
import type { TestApp } from "./test-app.js";

export interface Actor {
  user: User;
  token: string;
  as: { token: string };
}

/**
 * A small installation: provider staff, two tenants (A with lockbox and auditing on, B with
 * lockbox off), and per tenant one user per role plus a second approver.
 */
export interface World {
  t: TestApp;
  providerAdmin: Actor;
  engineer: Actor;
  engineer2: Actor;
  manager: Actor;
  manager2: Actor;
  tenantA: string;
  tenantB: string;
  a: { admin: Actor; approver: Actor; approver2: Actor; auditor: Actor };
  b: { admin: Actor; approver: Actor; approver2: Actor; auditor: Actor };
}

export async function buildWorld(t: TestApp): Promise<World> {
  const actor = async (...args: Parameters<TestApp["user"]>): Promise<Actor> => {
    const { user, token } = await t.user(...args);
    return { user, token, as: { token } };
  };
  const providerAdmin: Actor = { user: t.admin, token: t.adminToken, as: { token: t.adminToken } };
  for (const [key, name] of [
    ["mail", "Mail"],
    ["files", "Files"],
    ["chat", "Chat"],
  ]) {
    const res = await t.request("POST", "/v1/services", providerAdmin.as, { key, name, description: `${name} content` });
    if (res.status !== 201) throw new Error(`service: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const tenant = async (name: string) => {
    const res = await t.request("POST", "/v1/tenants", providerAdmin.as, { name, adminEmail: `admin@${name.toLowerCase()}.test` });
    if (res.status !== 201) throw new Error(`tenant: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.tenant.id as string;
  };
  const tenantA = await tenant("Alpha");
  const tenantB = await tenant("Beta");
  // The shared world is about the workflow, not step-up: its tenants decide without a second
  // factor (new tenants start with requireMfaForDecisions on; see support/step-up.ts).
  await allowDecisionsWithoutStepUp(t, tenantA, tenantB);
  const people = async (tenantId: string) => ({
    admin: await actor(["global_admin"], tenantId),
    approver: await actor(["lockbox_approver"], tenantId),
    approver2: await actor(["lockbox_approver"], tenantId),
    auditor: await actor(["auditor"], tenantId),
  });
  const world: World = {
    t,
    providerAdmin,
    engineer: await actor(["engineer"], null, "Erin Engineer"),
    engineer2: await actor(["engineer"], null, "Eddie Engineer"),
    manager: await actor(["manager"], null, "Maya Manager"),
    manager2: await actor(["manager", "engineer"], null, "Mo Manager"),
    tenantA,
    tenantB,
    a: await people(tenantA),
    b: await people(tenantB),
  };
  const on = await t.request("PATCH", `/v1/tenants/${tenantA}/settings`, world.a.admin.as, { auditingEnabled: true });
  const lock = await t.request("PATCH", `/v1/tenants/${tenantA}/settings`, world.a.admin.as, { lockboxEnabled: true });
  if (on.status !== 200 || lock.status !== 200) throw new Error("could not turn lockbox on for tenant A");
  return world;
}

/** Files a request for tenant A (or another) as the engineer; returns its id. */
export async function fileRequest(w: World, overrides: Record<string, unknown> = {}, as: Actor = w.engineer): Promise<string> {
  const res = await w.t.request("POST", "/v1/requests", as.as, {
    tenantId: w.tenantA,
    ticket: "CASE-42",
    reason: "Mailbox search fails for the customer",
    services: ["mail"],
    accessLevel: "read",
    requestedMinutes: 60,
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`create request: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}
