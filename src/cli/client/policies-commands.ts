import { type Command, InvalidArgumentError, Option } from "commander";
import type { ApprovalPolicy } from "../../policies/approval-policy.js";
import { reasonTypes } from "../../requests/reason-types.js";
import { CliError } from "../fail.js";
import { type ApiClient, seg } from "./api-client.js";
import { boundedText, type CommonOptions, clientCommand, connect, groupCommand, list, wholeNumber } from "./command-kit.js";
import { EXIT } from "./exit-codes.js";
import { localTime, minutes, print, printJson, table } from "./output.js";

interface PolicyOptions extends CommonOptions {
  tenant?: string;
  name: string;
  services: string[];
  access: "read" | "write";
  maxMinutes: number;
  reasonTypes?: string[];
  ticketPattern?: string;
  hours?: { from: number; to: number };
}

interface DryRun {
  considered: number;
  matched: { id: string; ticket: string; status: string; services: string[]; accessLevel: string; minutes: number; reasonType: string; createdAt: string }[];
}

/** "8-18" → {from: 8, to: 18}: UTC hours, from inclusive, to exclusive; "22-6" wraps past midnight. */
function hoursRange(value: string): { from: number; to: number } {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(value.trim());
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from > 23 || to > 24 || from === to) throw new InvalidArgumentError('expected UTC hours FROM-TO, e.g. "8-18" or "22-6".');
  return { from, to };
}

/** A tenant user may leave out the tenant: it is its own (policies are never the provider's). */
async function tenantOf(api: ApiClient, id: string | undefined): Promise<string> {
  if (id) return id;
  const me = await api.get<{ user: { tenantId: string | null } }>("/v1/me");
  if (me.user.tenantId) return me.user.tenantId;
  throw new CliError("name the tenant with --tenant (approval policies belong to a customer tenant)", EXIT.usage);
}

const tenantOption = () => new Option("--tenant <id>", "the tenant (default: your own)");

/** The policy body options shared by create, update and dry-run. */
function policyOptions(cmd: Command): Command {
  return cmd
    .addOption(tenantOption())
    .requiredOption("--name <text>", "a name the approvers recognise", boundedText(100))
    .requiredOption("--services <keys>", "comma-separated service keys the policy covers (a request must name only these)", list)
    .addOption(new Option("--access <level>", '"read", or "write" (which also covers read)').choices(["read", "write"]).makeOptionMandatory())
    .requiredOption("--max-minutes <n>", "the longest access it approves (at most the tenant's maxAccessMinutes)", wholeNumber(1, 24 * 60))
    .option("--reason-types <types>", `comma-separated: ${reasonTypes.join(", ")} (default: any)`, list)
    .option("--ticket-pattern <glob>", "only tickets matching this glob: * any characters, ? one (default: any)", boundedText(64))
    .option("--hours <from-to>", 'only while the manager approves within these UTC hours, e.g. "8-18"', hoursRange);
}

function bodyOf(opts: PolicyOptions) {
  return {
    name: opts.name,
    services: opts.services,
    accessLevel: opts.access,
    maxMinutes: opts.maxMinutes,
    ...(opts.reasonTypes ? { reasonTypes: opts.reasonTypes } : {}),
    ...(opts.ticketPattern ? { ticketPattern: opts.ticketPattern } : {}),
    ...(opts.hours ? { hoursUtc: opts.hours } : {}),
  };
}

function policyRows(items: ApprovalPolicy[]): string {
  return table(
    ["ID", "NAME", "V", "SERVICES", "ACCESS", "MAX", "REASONS", "TICKETS", "HOURS UTC", "SINCE"],
    items.map((p) => [
      p.id,
      p.name,
      String(p.version),
      p.services.join(","),
      p.accessLevel,
      minutes(p.maxMinutes),
      p.reasonTypes ? p.reasonTypes.join(",") : "any",
      p.ticketPattern ?? "any",
      p.hoursUtc ? `${p.hoursUtc.from}-${p.hoursUtc.to}` : "any",
      localTime(p.createdAt),
    ]),
  );
}

/** `lockbox policies list|create|update|delete|dry-run`: the customer's auto-approval policies (SPEC 17). */
export function registerPolicyCommands(program: Command): void {
  const policies = groupCommand(program, "policies", "the customer's auto-approval policies: requests they cover are approved at once");

  clientCommand(policies, "list", "list your tenant's active policies", ["lockbox policies list"])
    .addOption(tenantOption())
    .action(async (opts: CommonOptions & { tenant?: string }) => {
      const api = connect(opts);
      const page = await api.get<{ items: ApprovalPolicy[] }>(`/v1/tenants/${seg(await tenantOf(api, opts.tenant))}/policies`);
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return print("No approval policies: every request waits for your approvers.");
      print(policyRows(page.items));
    });

  policyOptions(
    clientCommand(policies, "create", "add a policy (the tenant's global admin)", [
      'lockbox policies create --name "Routine mail reads" --services mail --access read --max-minutes 60 --ticket-pattern "INC-*"',
    ]),
  ).action(async (opts: PolicyOptions) => {
    const api = connect(opts);
    const p = await api.post<ApprovalPolicy>(`/v1/tenants/${seg(await tenantOf(api, opts.tenant))}/policies`, bodyOf(opts));
    if (opts.json) printJson(p);
    else print(`Created policy ${p.id} "${p.name}" (version ${p.version})`);
  });

  policyOptions(
    clientCommand(policies, "update <policy-id>", "replace a policy with a new version (the old one stays on record)", [
      'lockbox policies update 3e1f… --name "Routine mail reads" --services mail --access read --max-minutes 30',
    ]),
  ).action(async (id: string, opts: PolicyOptions) => {
    const api = connect(opts);
    const p = await api.call<ApprovalPolicy>("PUT", `/v1/tenants/${seg(await tenantOf(api, opts.tenant))}/policies/${seg(id)}`, { body: bodyOf(opts) });
    if (opts.json) printJson(p);
    else print(`Policy ${p.id} "${p.name}" is now version ${p.version}`);
  });

  clientCommand(policies, "delete <policy-id>", "delete a policy: requests wait for your approvers again", ["lockbox policies delete 3e1f…"], { json: false })
    .addOption(tenantOption())
    .action(async (id: string, opts: CommonOptions & { tenant?: string }) => {
      const api = connect(opts);
      await api.call("DELETE", `/v1/tenants/${seg(await tenantOf(api, opts.tenant))}/policies/${seg(id)}`);
      print(`Deleted policy ${id}`);
    });

  policyOptions(
    clientCommand(policies, "dry-run", "which of the last 100 requests would this policy have approved? (changes nothing)", [
      "lockbox policies dry-run --name try --services mail,files --access read --max-minutes 60",
    ]),
  ).action(async (opts: PolicyOptions) => {
    const api = connect(opts);
    const r = await api.post<DryRun>(`/v1/tenants/${seg(await tenantOf(api, opts.tenant))}/policies/dry-run`, bodyOf(opts));
    if (opts.json) return printJson(r);
    print(`${r.matched.length} of the last ${r.considered} requests would have been approved by this policy.`);
    if (r.matched.length > 0) {
      print(table(["ID", "TICKET", "STATUS", "SERVICES", "ACCESS", "DURATION", "REASON", "FILED"], r.matched.map((m) => [
        m.id, m.ticket || "-", m.status, m.services.join(","), m.accessLevel, minutes(m.minutes), m.reasonType, localTime(m.createdAt),
      ])));
    }
  });
}
