import type { Command } from "commander";
import { fail } from "./fail.js";

function url(value: string, flag: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    return u.toString().replace(/\/$/, "");
  } catch {
    return fail(`${flag} must be an http(s) URL, got "${value}"`);
  }
}

/** `lockbox gateway`: a grant-checking reverse proxy in front of one internal admin API. */
export function registerGatewayCommand(program: Command): void {
  program
    .command("gateway")
    .description("guard an internal admin API: only calls with a valid Lockbox grant token pass, each one audited")
    .requiredOption("--server <url>", "the Lockbox server")
    .requiredOption("--service <key>", "the service key this API belongs to (e.g. mail)")
    .requiredOption("--upstream <url>", "the internal API to forward allowed calls to")
    .requiredOption("--port <n>", "port to listen on")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--issuer <url>", "expected token issuer (the server's LOCKBOX_PUBLIC_URL); unchecked if omitted")
    .option(
      "--max-unrecorded-seconds <n>",
      "fail closed: answer 503 audit_unavailable instead of forwarding while activity has waited this long unrecorded",
      "30",
    )
    .option("--require-signed-approvals", "pass a grant only if the customer's approvers signed it with their passkeys (evidence checked once per request)")
    .addHelpText(
      "after",
      "\nLOCKBOX_TOKEN must hold a service credential (lbs_…, POST /v1/service-credentials).\n" +
        "Clients send: Authorization: Lockbox <grant token> and X-Lockbox-Tenant: <tenant id>.\n" +
        "The upstream receives X-Lockbox-Tenant, -User, -Request and -Ticket set from the verified grant;\n" +
        "incoming X-Lockbox-* headers (any spelling, _ for -) are dropped. Only GET and HEAD are reads;\n" +
        "method overrides get 400, methods other than GET HEAD POST PUT PATCH DELETE get 405.\n\n" +
        "Example:\n  LOCKBOX_TOKEN=lbs_… lockbox gateway --server http://localhost:8080 --service mail \\\n" +
        "    --upstream http://127.0.0.1:9000 --port 8081",
    )
    .action(async (opts: { server: string; service: string; upstream: string; port: string; host: string; issuer?: string; maxUnrecordedSeconds: string; requireSignedApprovals?: boolean }) => {
      const token = process.env.LOCKBOX_TOKEN;
      if (!token?.startsWith("lbs_")) fail("LOCKBOX_TOKEN must hold a service credential (lbs_…)");
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got "${opts.port}"`);
      if (!/^[a-z][a-z0-9_-]{0,31}$/.test(opts.service)) fail(`--service must be a service key, got "${opts.service}"`);
      const maxUnrecordedSeconds = /^\d{1,5}$/.test(opts.maxUnrecordedSeconds) ? Number(opts.maxUnrecordedSeconds) : 0;
      if (maxUnrecordedSeconds < 1 || maxUnrecordedSeconds > 86_400) {
        fail(`--max-unrecorded-seconds must be a whole number of seconds from 1 to 86400, got "${opts.maxUnrecordedSeconds}"`);
      }
      const { startGateway } = await import("../gateway/gateway.js");
      const gateway = await startGateway({
        server: url(opts.server, "--server"),
        service: opts.service,
        upstream: url(opts.upstream, "--upstream"),
        port,
        host: opts.host,
        token,
        maxUnrecordedSeconds,
        requireSignedApprovals: opts.requireSignedApprovals === true,
        ...(opts.issuer ? { issuer: url(opts.issuer, "--issuer") } : {}),
      });
      process.stdout.write(`Lockbox gateway for service "${opts.service}" on ${gateway.url} → ${opts.upstream}\n`);
      const shutdown = () => {
        gateway.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", shutdown);
      process.once("SIGINT", shutdown);
    });
}
