import fs from "node:fs";
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import type { AuditSink as Sink, SinkStatus } from "../../siem/sink-queries.js";
import { CliError } from "../fail.js";
import { type ApiClient, seg } from "./api-client.js";
import { boundedText, type CommonOptions, clientCommand, connect, groupCommand } from "./command-kit.js";
import { EXIT } from "./exit-codes.js";
import { localTime, paint, print, printJson, table, when } from "./output.js";

interface ScopeOptions extends CommonOptions {
  tenant?: string;
  provider?: boolean;
}

interface CreateOptions extends ScopeOptions {
  type: string;
  url: string;
  format: string;
  tokenFile?: string;
  caFile?: string;
  serverName?: string;
}

/**
 * Whose sinks: `--tenant ID`, `--provider`, or by default the caller's own org (a tenant user's
 * tenant, provider staff's provider chain).
 */
async function scopeOf(api: ApiClient, opts: ScopeOptions): Promise<string> {
  if (opts.tenant && opts.provider) throw new CliError("name either --tenant or --provider, not both", EXIT.usage);
  if (opts.tenant) return `/v1/tenants/${seg(opts.tenant)}/audit-sinks`;
  if (opts.provider) return "/v1/audit-sinks";
  const me = await api.get<{ user: { tenantId: string | null } }>("/v1/me");
  return me.user.tenantId ? `/v1/tenants/${seg(me.user.tenantId)}/audit-sinks` : "/v1/audit-sinks";
}

const scoped = (cmd: Command) =>
  cmd
    .option("--tenant <id>", "a tenant's sinks (default: your own org's)", boundedText(64))
    .option("--provider", "the provider's own sinks (provider admins)");

/** Reads a small text file named by a flag; a missing or oversized file is a usage error. */
function readFlagFile(flag: string, file: string, max: number): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`, EXIT.usage);
  }
  if (text.length > max) throw new CliError(`${flag}: ${file} is larger than ${max} characters`, EXIT.usage);
  return text;
}

function oneOf(values: string[]) {
  return (value: string): string => {
    if (!values.includes(value)) throw new InvalidArgumentError(`expected one of ${values.join(", ")}.`);
    return value;
  };
}

export function registerSinkCommands(program: Command): void {
  const sinks = groupCommand(program, "sinks", "stream the audit chain to a SIEM (Splunk HEC, syslog, HTTP)");

  scoped(clientCommand(sinks, "list", "list the audit sinks of your org (or --tenant / --provider)", ["lockbox sinks list", "lockbox sinks list --provider --json"])).action(
    async (opts: ScopeOptions) => {
      const api = connect(opts);
      const page = await api.get<{ items: Sink[] }>(await scopeOf(api, opts));
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return print("No audit sinks.");
      print(table(["ID", "TYPE", "FORMAT", "URL", "CREATED"], page.items.map((s) => [s.id, s.type, s.format, s.url, localTime(s.createdAt)])));
    },
  );

  scoped(
    clientCommand(sinks, "create", "add a sink; it receives the whole chain from seq 1, then every new event", [
      "LOCKBOX_SINK_TOKEN=… lockbox sinks create --type splunk_hec --url https://splunk.example:8088 --format ocsf",
      "lockbox sinks create --type syslog --url tls://siem.example:6514 --format ocsf --ca-file siem-ca.pem",
      "lockbox sinks create --type http --url https://collector.example/lockbox --format lockbox --token-file token.txt",
    ]),
  )
    .addOption(new Option("--type <type>", "splunk_hec, syslog or http").argParser(oneOf(["splunk_hec", "syslog", "http"])).makeOptionMandatory())
    .addOption(new Option("--url <url>", "https://… (splunk_hec, http) or tcp://host:port, tls://host:port (syslog)").argParser(boundedText(2048)).makeOptionMandatory())
    .addOption(new Option("--format <format>", "ocsf or lockbox (the export form)").argParser(oneOf(["ocsf", "lockbox"])).makeOptionMandatory())
    .option("--token-file <file>", "file holding the HEC or bearer token (default: LOCKBOX_SINK_TOKEN); never given on the command line")
    .option("--ca-file <file>", "PEM certificate(s) of a private CA the receiver's certificate chains to")
    .option("--server-name <name>", "the name on the receiver's certificate, if not the URL's host", boundedText(253))
    .action(async (opts: CreateOptions) => {
      const token = opts.tokenFile ? readFlagFile("--token-file", opts.tokenFile, 1024).trim() : process.env.LOCKBOX_SINK_TOKEN?.trim() || undefined;
      const ca = opts.caFile ? readFlagFile("--ca-file", opts.caFile, 64 * 1024) : undefined;
      const tls = ca || opts.serverName ? { ...(ca ? { ca } : {}), ...(opts.serverName ? { serverName: opts.serverName } : {}) } : undefined;
      const api = connect(opts);
      const sink = await api.post<Sink>(await scopeOf(api, opts), { type: opts.type, url: opts.url, format: opts.format, ...(token ? { token } : {}), ...(tls ? { tls } : {}) });
      if (opts.json) return printJson(sink);
      print(`Created ${paint("bold", sink.id)}: ${sink.type} ${sink.url} (${sink.format}${sink.hasToken ? ", token stored encrypted" : ""}).`);
    });

  scoped(clientCommand(sinks, "delete <sink-id>", "stop streaming to a sink and remove it", ["lockbox sinks delete 5f0c…"], { json: false })).action(
    async (id: string, opts: ScopeOptions) => {
      const api = connect(opts);
      await api.call("DELETE", `${await scopeOf(api, opts)}/${seg(id)}`);
      print(`Deleted audit sink ${id}.`);
    },
  );

  scoped(clientCommand(sinks, "status <sink-id>", "how far a sink is: last delivered seq, lag, last error", ["lockbox sinks status 5f0c…"])).action(
    async (id: string, opts: ScopeOptions) => {
      const api = connect(opts);
      const s = await api.get<SinkStatus>(`${await scopeOf(api, opts)}/${seg(id)}/status`);
      if (opts.json) return printJson(s);
      print(
        table(null, [
          [paint("bold", "last delivered seq"), `${s.lastDeliveredSeq} of ${s.headSeq}`],
          [paint("bold", "lag"), `${s.lag} event${s.lag === 1 ? "" : "s"}`],
          [paint("bold", "last delivered"), when(s.lastDeliveredAt)],
          [paint("bold", "last error"), s.lastError ? `${s.lastError} (${when(s.lastErrorAt)})` : "none"],
          [paint("bold", "failures in a row"), String(s.failures)],
          [paint("bold", "next attempt"), when(s.nextAttemptAt)],
        ]),
      );
    },
  );
}
