import { type Command, Option } from "commander";
import type { AccessRequest } from "../../requests/access-request.js";
import { seg } from "./api-client.js";
import { boundedText, type CommonOptions, clientCommand, connect } from "./command-kit.js";
import { print, printJson, table, when } from "./output.js";

/** Break-glass and its review (SPEC 17): `requests break-glass|review|disputed`. */
export function registerBreakGlassCommands(requests: Command): void {
  clientCommand(
    requests,
    "break-glass <id>",
    "emergency access for a production incident: a provider manager asks, a second manager or provider admin confirms",
    ["lockbox requests break-glass 0b6f4c1e-…"],
  ).action(async (id: string, opts: CommonOptions) => {
    const r = await connect(opts).post<AccessRequest>(`/v1/requests/${seg(id)}/break-glass`, {});
    if (opts.json) return printJson(r);
    if (r.breakGlass?.granted) print(`Request ${r.id} is approved by break-glass until ${when(r.accessEndsAt)}; the customer has been told and will review it`);
    else print(`Break-glass asked on request ${r.id}: a second, different manager or provider admin must confirm`);
  });

  clientCommand(requests, "review <id>", "review a break-glass access (the customer's approvers): accept it or dispute it", [
    "lockbox requests review 0b6f4c1e-… --verdict accepted",
    'lockbox requests review 0b6f4c1e-… --verdict disputed --comment "No incident on our side"',
  ])
    .addOption(new Option("--verdict <verdict>", "accepted or disputed").choices(["accepted", "disputed"]).makeOptionMandatory())
    .option("--comment <text>", "why (required to dispute)", boundedText(2000))
    .action(async (id: string, opts: CommonOptions & { verdict: string; comment?: string }) => {
      const body = { verdict: opts.verdict, ...(opts.comment ? { comment: opts.comment } : {}) };
      const r = await connect(opts).post<AccessRequest>(`/v1/requests/${seg(id)}/review`, body);
      if (opts.json) printJson(r);
      else print(`Reviewed break-glass request ${r.id}: ${r.breakGlass?.review?.verdict ?? opts.verdict}`);
    });

  clientCommand(requests, "disputed", "break-glass accesses the customer disputed (provider admins)", ["lockbox requests disputed"]).action(
    async (opts: CommonOptions) => {
      const page = await connect(opts).get<{ items: AccessRequest[] }>("/v1/break-glass/disputed");
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return print("No disputed break-glass accesses.");
      print(table(["ID", "TENANT", "BY", "DISPUTED", "COMMENT"], page.items.map((r) => [
        r.id,
        r.tenantId,
        (r.breakGlass?.by ?? []).map((p) => p.name).join(" + "),
        when(r.breakGlass?.review?.at),
        r.breakGlass?.review?.comment ?? "",
      ])));
    },
  );
}
