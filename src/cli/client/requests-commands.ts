import { type Command, Option } from "commander";
import type { AccessRequest } from "../../requests/access-request.js";
import { reasonTypes } from "../../requests/reason-types.js";
import { requestStatuses } from "../../requests/request-lifecycle.js";
import { CliError } from "../fail.js";
import { type ApiClient, seg } from "./api-client.js";
import { boundedText, type CommonOptions, clientCommand, connect, groupCommand, isoTime, list, wholeNumber } from "./command-kit.js";
import { EXIT } from "./exit-codes.js";
import { print, printJson, when } from "./output.js";
import { outcomeLine, requestSummary, requestTable } from "./request-view.js";
import { mustSignInBrowser, waitForBrowserDecision } from "./signed-handover.js";
import { registerWorkflowCommands } from "./workflow-commands.js";
import { registerBreakGlassCommands } from "./break-glass-commands.js";

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface ListOptions extends CommonOptions {
  status?: string;
  reasonType?: string;
  tenant?: string;
  ticket?: string;
  requester?: string;
  mine?: boolean;
  createdAfter?: string;
  createdBefore?: string;
  limit?: number;
  cursor?: string;
}

interface CreateOptions extends CommonOptions {
  tenant: string;
  ticket?: string;
  reasonType?: string;
  startAt?: string;
  reason: string;
  services: string[];
  access: "read" | "write";
  minutes: number;
}

const MAX_MINUTES = 24 * 60;
const comment = () => new Option("--comment <text>", "a comment for the audit log and the requester").argParser(boundedText(2000));

/** The server says "request not found"; the terminal line names which one. */
async function naming<T>(id: string, call: Promise<T>): Promise<T> {
  return call.catch((err: unknown) => {
    if (err instanceof CliError && /^request not found$/i.test(err.message)) throw new CliError(`Request ${id} not found`, err.exitCode);
    throw err;
  });
}

async function myUserId(api: ApiClient): Promise<string> {
  return (await api.get<{ user: { id: string } }>("/v1/me")).user.id;
}

/** A decision or end of a request: POST, then the new status in one line (or the JSON). */
function action(
  group: Command,
  verb: "approve" | "deny" | "cancel" | "revoke" | "complete",
  description: string,
  examples: string[],
  extra: (cmd: Command) => Command = (cmd) => cmd.addOption(comment()),
): void {
  const cmd = extra(clientCommand(group, `${verb} <id>`, description, examples));
  if (verb === "approve" || verb === "deny" || verb === "revoke") {
    cmd
      .option("--poll-seconds <n>", "on a tenant with signed approvals: how often to look for the decision made in the browser", wholeNumber(1, 60))
      .option("--wait-minutes <n>", "on a tenant with signed approvals: how long to wait for it (default 30)", wholeNumber(1, 24 * 60));
  }
  cmd.action(
    async (id: string, opts: CommonOptions & { comment?: string; minutes?: number; pollSeconds?: number; waitMinutes?: number }) => {
      const api = connect(opts);
      if ((verb === "approve" || verb === "deny" || verb === "revoke") && (await mustSignInBrowser(api, id))) {
        const say = (line: string) => process.stderr.write(`${line}\n`);
        const r = await naming(id, waitForBrowserDecision(api, id, verb, { pollSeconds: opts.pollSeconds ?? 3, waitMinutes: opts.waitMinutes ?? 30, say }));
        if (opts.json) printJson(r);
        else print(outcomeLine(r));
        return;
      }
      const body: Record<string, unknown> = {};
      if (opts.comment !== undefined) body.comment = opts.comment;
      if (opts.minutes !== undefined) body.grantedMinutes = opts.minutes;
      const r = await naming(id, api.post<AccessRequest>(`/v1/requests/${seg(id)}/${verb}`, verb === "complete" ? undefined : body));
      if (opts.json) printJson(r);
      else print(outcomeLine(r));
    },
  );
}

export function registerRequestCommands(program: Command): void {
  const requests = groupCommand(program, "requests", "file, decide and follow data access requests");

  clientCommand(requests, "list", "list data access requests, newest first", [
    "lockbox requests list --status pending_customer",
    "lockbox requests list --tenant 5f0c… --ticket CASE-42 --json",
  ])
    .addOption(new Option("--status <status>", "only this status").choices(requestStatuses))
    .option("--tenant <id>", "only this tenant's requests")
    .option("--ticket <ticket>", "only requests for this support ticket")
    .addOption(new Option("--reason-type <type>", "only requests with this reason type").choices(reasonTypes))
    .option("--requester <user-id>", "only requests filed by this user")
    .option("--mine", "only requests I filed")
    .option("--created-after <time>", "filed at or after this time", isoTime)
    .option("--created-before <time>", "filed before this time", isoTime)
    .option("--limit <n>", "at most this many (1-200, default 50)", wholeNumber(1, 200))
    .option("--cursor <cursor>", "continue a previous listing (its nextCursor)")
    .action(async (opts: ListOptions) => {
      const api = connect(opts);
      const requester = opts.mine ? await myUserId(api) : opts.requester;
      const page = await api.get<Page<AccessRequest>>("/v1/requests", {
        status: opts.status,
        tenantId: opts.tenant,
        ticket: opts.ticket,
        reasonType: opts.reasonType,
        requester,
        createdAfter: opts.createdAfter,
        createdBefore: opts.createdBefore,
        limit: opts.limit,
        cursor: opts.cursor,
      });
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return print("No requests match.");
      print(requestTable(page.items));
      if (page.nextCursor) process.stderr.write(`More requests: add --cursor ${page.nextCursor}\n`);
    });

  clientCommand(requests, "show <id>", "show one request: who asked, why, for what, and every decision", [
    "lockbox requests show 0b6f4c1e-…",
  ]).action(async (id: string, opts: CommonOptions) => {
    const r = await naming(id, connect(opts).get<AccessRequest>(`/v1/requests/${seg(id)}`));
    if (opts.json) printJson(r);
    else print(requestSummary(r));
  });

  clientCommand(requests, "create", "file a data access request (engineers)", [
    'lockbox requests create --tenant 5f0c… --ticket CASE-42 --reason "Mailbox search fails" --services mail,files --access read --minutes 30',
  ])
    .requiredOption("--tenant <id>", "the customer tenant whose data you need")
    .option("--ticket <ticket>", "the support case number (required for customer_initiated_support)", boundedText(64))
    .addOption(new Option("--reason-type <type>", "why you ask (default customer_initiated_support)").choices(reasonTypes))
    .option("--start-at <time>", "scheduled start, ISO-8601 UTC, at most 7 days ahead (default: at approval)", isoTime)
    .requiredOption("--reason <text>", "why you need access (shown to the customer)", boundedText(2000))
    .requiredOption("--services <keys>", "comma-separated service keys, e.g. mail,files", list)
    .addOption(new Option("--access <level>", "read, or write (includes read)").choices(["read", "write"]).default("read"))
    .requiredOption("--minutes <n>", "how long the access should last", wholeNumber(1, MAX_MINUTES))
    .action(async (opts: CreateOptions) => {
      if (opts.services.length === 0) throw new CliError("--services: name at least one service key (see lockbox requests create --help)", EXIT.usage);
      const r = await connect(opts).post<AccessRequest>("/v1/requests", {
        tenantId: opts.tenant,
        ticket: opts.ticket,
        reasonType: opts.reasonType,
        startAt: opts.startAt,
        reason: opts.reason,
        services: opts.services,
        accessLevel: opts.access,
        requestedMinutes: opts.minutes,
      });
      if (opts.json) printJson(r);
      else print(`Filed request ${r.id}\n${outcomeLine(r)}`);
    });

  action(
    requests,
    "approve",
    "approve a request: as a provider manager (first stage) or as the customer's approver",
    ["lockbox requests approve 0b6f4c1e-… --comment \"ticket checked\"", "lockbox requests approve 0b6f4c1e-… --minutes 30"],
    (cmd) =>
      cmd
        .addOption(comment())
        .option("--minutes <n>", "grant less time than requested (the final approval only)", wholeNumber(1, MAX_MINUTES)),
  );
  action(requests, "deny", "refuse a request: a manager rejects it, the customer denies it (final)", [
    'lockbox requests deny 0b6f4c1e-… --comment "no ticket for this"',
  ]);
  action(requests, "cancel", "withdraw a pending request (its requester or a manager)", ["lockbox requests cancel 0b6f4c1e-…"]);
  action(requests, "revoke", "end granted access now (customer approvers, managers, provider admins)", [
    'lockbox requests revoke 0b6f4c1e-… --comment "work is done"',
  ]);
  action(requests, "complete", "release your granted access before it runs out (the requester)", ["lockbox requests complete 0b6f4c1e-…"], (cmd) => cmd);

  clientCommand(requests, "token <id>", "print the signed grant token of your approved request", [
    "lockbox requests token 0b6f4c1e-…",
    'curl -H "Authorization: Lockbox $(lockbox requests token 0b6f4c1e-…)" …',
  ]).action(async (id: string, opts: CommonOptions) => {
    const api = connect(opts);
    const res = await naming(id, api.send("GET", `/v1/requests/${seg(id)}/token`)).catch(async (err: unknown) => {
      // A server from before grant tokens answers "no route": say so instead of "not found".
      if (err instanceof CliError && /^no route /.test(err.message)) {
        throw new CliError(`${api.server} does not issue grant tokens yet (GET /v1/requests/{id}/token); upgrade the server`, EXIT.refused);
      }
      throw err;
    });
    const grant = (await res.json()) as { token: string; expiresAt: string };
    if (opts.json) return printJson(grant);
    // The token alone on stdout, so $(lockbox requests token ID) captures exactly it.
    print(grant.token);
    process.stderr.write(`expires ${when(grant.expiresAt)}\n`);
  });

  registerWorkflowCommands(requests);
  registerBreakGlassCommands(requests);
}
