import type { Command } from "commander";
import type { TenantSettings } from "../../tenants/tenant-settings.js";
import { CliError } from "../fail.js";
import { type ApiClient, seg } from "./api-client.js";
import { boolean, type CommonOptions, clientCommand, connect, groupCommand, list, wholeNumber } from "./command-kit.js";
import { EXIT } from "./exit-codes.js";
import { localTime, paint, print, printJson, table } from "./output.js";

interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

interface SetOptions extends CommonOptions {
  auditingEnabled?: boolean;
  lockboxEnabled?: boolean;
  approvalWindowMinutes?: number;
  maxAccessMinutes?: number;
  requiredApprovals?: number;
  protectedServices?: string[];
  notificationEmails?: string[];
  requireDecisionComment?: boolean;
  requireMfaForDecisions?: boolean;
}

/** The settings flags, in the API's field order; the human view labels rows with them. */
const settingFlags: [keyof TenantSettings, string][] = [
  ["auditingEnabled", "auditing-enabled"],
  ["lockboxEnabled", "lockbox-enabled"],
  ["approvalWindowMinutes", "approval-window-minutes"],
  ["maxAccessMinutes", "max-access-minutes"],
  ["requiredApprovals", "required-approvals"],
  ["protectedServices", "protected-services"],
  ["notificationEmails", "notification-emails"],
  ["requireDecisionComment", "require-decision-comment"],
  ["requireMfaForDecisions", "require-mfa-for-decisions"],
];

function settingsTable(s: TenantSettings): string {
  const show = (v: unknown) => (Array.isArray(v) ? (v.length ? v.join(", ") : "(none)") : String(v));
  return table(
    null,
    settingFlags.map(([key, flag]) => [paint("bold", flag), show(s[key])]),
  );
}

/** A tenant user may leave out the tenant: it is its own. Provider staff must name one. */
async function tenantOf(api: ApiClient, id: string | undefined, usage: string): Promise<string> {
  if (id) return id;
  const me = await api.get<{ user: { tenantId: string | null } }>("/v1/me");
  if (me.user.tenantId) return me.user.tenantId;
  throw new CliError(`name the tenant: ${usage}`, EXIT.usage);
}

export function registerTenantCommands(program: Command): void {
  const tenants = groupCommand(program, "tenants", "list customer tenants and read or change their lockbox settings");

  clientCommand(tenants, "list", "list the tenants you can see (a tenant user sees its own)", ["lockbox tenants list"]).action(
    async (opts: CommonOptions) => {
      const page = await connect(opts).get<{ items: Tenant[]; nextCursor: string | null }>("/v1/tenants");
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return print("No tenants.");
      print(table(["ID", "NAME", "CREATED"], page.items.map((t) => [t.id, t.name, localTime(t.createdAt)])));
    },
  );

  const settings = groupCommand(tenants, "settings", "read or change a tenant's lockbox settings");

  clientCommand(settings, "get [tenant-id]", "show a tenant's settings (default: your own tenant)", [
    "lockbox tenants settings get",
    "lockbox tenants settings get 5f0c… --json",
  ]).action(async (id: string | undefined, opts: CommonOptions) => {
    const api = connect(opts);
    const tenantId = await tenantOf(api, id, "lockbox tenants settings get TENANT-ID");
    const s = await api.get<TenantSettings>(`/v1/tenants/${seg(tenantId)}/settings`);
    if (opts.json) printJson(s);
    else print(settingsTable(s));
  });

  clientCommand(settings, "set [tenant-id]", "change a tenant's settings (its global admin only); unnamed settings stay as they are", [
    "lockbox tenants settings set 5f0c… --auditing-enabled true --lockbox-enabled true --required-approvals 2",
    "lockbox tenants settings set --protected-services mail,files --notification-emails ''",
  ])
    .option("--auditing-enabled <bool>", "record the tenant's own user and admin activity", boolean)
    .option("--lockbox-enabled <bool>", "require approval for all data access requests (needs auditing)", boolean)
    .option("--approval-window-minutes <n>", "how long approvers have to decide", wholeNumber(1, 100_000))
    .option("--max-access-minutes <n>", "the longest access a request may get", wholeNumber(1, 100_000))
    .option("--required-approvals <n>", "distinct customer approvers needed (1-5)", wholeNumber(1, 5))
    .option("--protected-services <keys>", '"all" or comma-separated service keys that need customer approval', list)
    .option("--notification-emails <emails>", "comma-separated extra addresses told of every request ('' clears)", list)
    .option("--require-decision-comment <bool>", "the tenant's deny and revoke need a comment", boolean)
    .option("--require-mfa-for-decisions <bool>", "decisions and security settings need a fresh passkey or TOTP (step-up)", boolean)
    .action(async (id: string | undefined, opts: SetOptions) => {
      const patch: Partial<TenantSettings> = {};
      if (opts.auditingEnabled !== undefined) patch.auditingEnabled = opts.auditingEnabled;
      if (opts.lockboxEnabled !== undefined) patch.lockboxEnabled = opts.lockboxEnabled;
      if (opts.approvalWindowMinutes !== undefined) patch.approvalWindowMinutes = opts.approvalWindowMinutes;
      if (opts.maxAccessMinutes !== undefined) patch.maxAccessMinutes = opts.maxAccessMinutes;
      if (opts.requiredApprovals !== undefined) patch.requiredApprovals = opts.requiredApprovals;
      if (opts.protectedServices !== undefined) {
        const keys = opts.protectedServices;
        patch.protectedServices = keys.length === 1 && keys[0] === "all" ? "all" : keys;
      }
      if (opts.notificationEmails !== undefined) patch.notificationEmails = opts.notificationEmails;
      if (opts.requireDecisionComment !== undefined) patch.requireDecisionComment = opts.requireDecisionComment;
      if (opts.requireMfaForDecisions !== undefined) patch.requireMfaForDecisions = opts.requireMfaForDecisions;
      if (Object.keys(patch).length === 0) {
        throw new CliError("name at least one setting to change (see lockbox tenants settings set --help)", EXIT.usage);
      }
      const api = connect(opts);
      const tenantId = await tenantOf(api, id, "lockbox tenants settings set TENANT-ID --lockbox-enabled true");
      const s = await api.call<TenantSettings>("PATCH", `/v1/tenants/${seg(tenantId)}/settings`, { body: patch });
      if (opts.json) printJson(s);
      else print(settingsTable(s));
    });
}
