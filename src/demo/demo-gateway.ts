import http from "node:http";
import type { AddressInfo } from "node:net";
import type { App } from "../app.js";
import { type Gateway, startGateway } from "../gateway/gateway.js";
import { createServiceCredential, deleteServiceCredential, listServiceCredentials } from "../grants/service-credentials.js";
import type { Caller } from "../identity/roles.js";

const CREDENTIAL_NAME = "Demo mailbox gateway";

export interface DemoGateway {
  gatewayUrl: string;
  close(): Promise<void>;
}

/**
 * A small internal "mailbox admin API" (what a provider's support tooling would call) that only
 * the Lockbox gateway can reach, and the gateway in front of it for the service `mail`. It trusts
 * the X-Lockbox-* headers because the gateway sets them from the verified grant and drops any a
 * client sends (§13); an API reachable other than through the gateway could not.
 */
function startMailboxApi(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const who = req.headers["x-lockbox-user"] ?? "?";
    const tenant = req.headers["x-lockbox-tenant"] ?? "?";
    const body =
      req.method === "GET" || req.method === "HEAD"
        ? { tenant, path: req.url, messages: [{ id: "m-1", subject: "Quarterly report", from: "ceo@contoso.example" }] }
        : { tenant, path: req.url, done: true };
    res.writeHead(200, { "content-type": "application/json", "x-served-for": String(who) });
    res.end(JSON.stringify(body));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

export async function startDemoGateway(app: App, admin: Caller, port: number): Promise<DemoGateway> {
  const address = app.server.server.address() as AddressInfo;
  const server = `http://127.0.0.1:${address.port}`;
  // One credential per run: the previous run's token was never stored anywhere.
  for (const c of await listServiceCredentials(app.deps, admin)) {
    if (c.name === CREDENTIAL_NAME) await deleteServiceCredential(app.deps, admin, c.id);
  }
  const { token } = await createServiceCredential(app.deps, admin, { name: CREDENTIAL_NAME });
  const mailbox = await startMailboxApi();
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      server,
      service: "mail",
      upstream: `http://127.0.0.1:${(mailbox.address() as AddressInfo).port}`,
      port,
      token,
      issuer: app.deps.config.publicUrl,
      logLevel: "warn",
    });
  } catch (err) {
    mailbox.close();
    throw err;
  }
  return {
    gatewayUrl: gateway.url,
    async close() {
      await gateway.close();
      await new Promise((r) => mailbox.close(r));
    },
  };
}

/** The walkthrough printed at demo start: every command, and what it answers. */
export function gatewayWalkthrough(o: { server: string; gateway: string; tenantId: string; requestId: string | undefined }): string {
  const rid = o.requestId ?? "<id of CASE-1003>";
  return [
    "",
    `Sample mailbox admin API (service "mail") behind a Lockbox gateway: ${o.gateway}`,
    "  1. Without an approved grant there is no token, so the gateway refuses:",
    `       curl -i ${o.gateway}/mailboxes/ceo -H 'X-Lockbox-Tenant: ${o.tenantId}'                     # 401`,
    "  2. Eddie's CASE-1003 is approved for mail (read). Sign in as eddie@provider.example, fetch the grant token, call:",
    `       curl -c eddie.txt -H 'content-type: application/json' -d '{"email":"eddie@provider.example","password":"…"}' ${o.server}/v1/auth/login`,
    `       TOKEN=$(curl -s -b eddie.txt ${o.server}/v1/requests/${rid}/token | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')`,
    `       curl -i ${o.gateway}/mailboxes/ceo -H "Authorization: Lockbox $TOKEN" -H 'X-Lockbox-Tenant: ${o.tenantId}'   # 200`,
    `       curl -i -X DELETE ${o.gateway}/mailboxes/ceo -H "Authorization: Lockbox $TOKEN" -H 'X-Lockbox-Tenant: ${o.tenantId}'   # 403: read-only grant`,
    "     The gateway sets X-Lockbox-Tenant/-User/-Request/-Ticket itself; tricks to spoof them or the method are refused:",
    `       curl -i ${o.gateway}/mailboxes/ceo -H "Authorization: Lockbox $TOKEN" -H 'X-Lockbox-Tenant: ${o.tenantId}' -H 'Connection: X-Lockbox-Tenant'   # 400`,
    `       curl -i ${o.gateway}/mailboxes/ceo -H "Authorization: Lockbox $TOKEN" -H 'X-Lockbox-Tenant: ${o.tenantId}' -H 'X-HTTP-Method-Override: DELETE'   # 400`,
    "  3. Sign in as adam@contoso.example (Contoso's approver) and revoke it; within 5 s the same call answers 403:",
    `       curl -c adam.txt -H 'content-type: application/json' -d '{"email":"adam@contoso.example","password":"…"}' ${o.server}/v1/auth/login`,
    `       curl -b adam.txt -X POST -H "X-CSRF-Token: <csrfToken from the login answer>" ${o.server}/v1/requests/${rid}/revoke`,
    "  4. Every call, allowed or refused, is in Contoso's audit log under Eddie's name (operator.get, operator.denied):",
    `       curl -c aude.txt -H 'content-type: application/json' -d '{"email":"aude@contoso.example","password":"…"}' ${o.server}/v1/auth/login`,
    `       curl -b aude.txt '${o.server}/v1/audit?chain=tenant:${o.tenantId}&requestId=${rid}'`,
    "",
  ].join("\n");
}
