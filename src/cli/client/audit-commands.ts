import fs from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { type Command, Option } from "commander";
import type { AuditEvent } from "../../audit/audit-event.js";
import { CliError } from "../fail.js";
import { progressEnabled, startProgress } from "../progress.js";
import type { ApiClient } from "./api-client.js";
import { type CommonOptions, clientCommand, connect, isoTime, wholeNumber } from "./command-kit.js";
import { EXIT } from "./exit-codes.js";
import { localTime, paint, print, printJson, table } from "./output.js";

interface ChainOptions {
  chain?: string;
  tenant?: string;
}

interface SearchOptions extends CommonOptions, ChainOptions {
  from?: string;
  to?: string;
  operation?: string;
  actor?: string;
  request?: string;
  limit?: number;
  cursor?: string;
}

interface ExportOptions extends CommonOptions, ChainOptions {
  format: "jsonl" | "csv";
  output?: string;
  from?: string;
  to?: string;
}

function chainOf(opts: ChainOptions): string | undefined {
  if (opts.chain && opts.tenant) throw new CliError("give --chain or --tenant, not both", EXIT.usage);
  return opts.chain ?? (opts.tenant ? `tenant:${opts.tenant}` : undefined);
}

function chainOptions(cmd: Command): Command {
  return cmd
    .option("--chain <chain>", 'the chain: "tenant:<id>" or "provider" (default: your tenant\'s)')
    .option("--tenant <id>", "short for --chain tenant:<id>");
}

function detailsText(details: Record<string, unknown>): string {
  const text = JSON.stringify(details);
  if (text === "{}") return "";
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function eventTable(items: AuditEvent[]): string {
  const mixed = new Set(items.map((e) => e.chain)).size > 1;
  return table(
    [...(mixed ? ["CHAIN"] : []), "SEQ", "AT", "OPERATION", "ACTOR", "TARGET", "DETAILS"],
    items.map((e) => [
      ...(mixed ? [e.chain] : []),
      String(e.seq),
      localTime(e.at),
      e.operation,
      e.actor.name,
      `${e.target.type} ${e.target.id}`,
      paint("dim", detailsText(e.details)),
    ]),
  );
}

const fileProblem: Record<string, string> = {
  ENOENT: "no such directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory",
  ENOSPC: "no space left on the device",
  EROFS: "read-only file system",
};

/** The chain's length (its newest seq), for the progress bar; undefined when unknown. */
async function chainLength(api: ApiClient, chain: string | undefined): Promise<number | undefined> {
  try {
    const page = await api.get<{ items: AuditEvent[] }>("/v1/audit", { chain, limit: 1 });
    return page.items[0]?.seq;
  } catch {
    return undefined;
  }
}

/**
 * Streams the export to the file (or stdout) chunk by chunk, never holding it whole. A file is
 * written under a temporary name and renamed when complete, so an interrupted export never
 * leaves a truncated file that looks like a whole chain.
 */
async function exportAudit(opts: ExportOptions): Promise<void> {
  const api = connect(opts);
  const chain = chainOf(opts);
  const res = await api.send("GET", "/v1/audit/export", {
    query: { format: opts.format, chain, from: opts.from, to: opts.to },
    timeout: false,
  });
  if (!res.body) throw new CliError(`${api.server} sent an empty export`, EXIT.refused);
  const whole = !opts.from && !opts.to;
  const total = progressEnabled() && whole ? await chainLength(api, chain) : undefined;
  const progress = startProgress({ label: `exporting ${chain ?? "audit log"}`, total, unit: "events" });
  const temp = opts.output ? `${opts.output}.partial` : undefined;
  let lines = 0;
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let n = 0;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n += 1;
      lines += n;
      bytes += chunk.length;
      progress.advance(n);
      done(null, chunk);
    },
  });
  let writeFailed = false;
  const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  try {
    // pipeline handles backpressure and an error on either side (network, disk, closed stdout).
    if (temp) {
      const file = fs.createWriteStream(temp, { mode: 0o600 }).once("error", () => (writeFailed = true));
      await pipeline(source, count, file);
      fs.renameSync(temp, opts.output!);
    } else {
      process.stdout.once("error", () => (writeFailed = true));
      await pipeline(source, count, process.stdout, { end: false });
    }
  } catch (err) {
    progress.stop();
    if (temp) fs.rmSync(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (!temp && code === "EPIPE") return; // the reader closed stdout (`| head`): not an error
    const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    if (writeFailed) throw new CliError(`cannot write ${opts.output ?? "stdout"}: ${fileProblem[code ?? ""] ?? why}`, EXIT.refused);
    throw new CliError(`export interrupted: ${why}${opts.output ? `; ${opts.output} not written` : ""}`, EXIT.unreachable);
  }
  progress.stop();
  if (opts.output) {
    const what = opts.format === "jsonl" ? `${lines} events` : `${Math.max(lines - 1, 0)} rows`;
    print(`Exported ${what} (${bytes} bytes)${chain ? ` of ${chain}` : ""} to ${opts.output}`);
  }
}

export function registerAuditCommands(program: Command): void {
  const audit = program.commands.find((c) => c.name() === "audit") ?? program.command("audit").description("work with the audit log");

  chainOptions(
    clientCommand(audit, "search", "search the audit log, newest first (global admins, auditors, provider admins)", [
      "lockbox audit search --operation request.revoked",
      "lockbox audit search --request 0b6f4c1e-… --json",
    ]),
  )
    .option("--from <time>", "events at or after this time", isoTime)
    .option("--to <time>", "events before this time", isoTime)
    .option("--operation <op>", "only this operation, e.g. request.approved")
    .option("--actor <user-id>", "only events by this user")
    .option("--request <id>", "only events about this request")
    .option("--limit <n>", "at most this many (1-200, default 50)", wholeNumber(1, 200))
    .option("--cursor <cursor>", "continue a previous search (its nextCursor)")
    .action(async (opts: SearchOptions) => {
      const page = await connect(opts).get<{ items: AuditEvent[]; nextCursor: string | null }>("/v1/audit", {
        chain: chainOf(opts),
        from: opts.from,
        to: opts.to,
        operation: opts.operation,
        actor: opts.actor,
        requestId: opts.request,
        limit: opts.limit,
        cursor: opts.cursor,
      });
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return print("No audit events match.");
      print(eventTable(page.items));
      if (page.nextCursor) process.stderr.write(`More events: add --cursor ${page.nextCursor}\n`);
    });

  // Export writes a file, not JSON: it takes the connection options but no --json.
  chainOptions(
    clientCommand(
      audit,
      "export",
      "download a chain, oldest first, streamed to a file or stdout (JSONL verifies with `lockbox audit verify`)",
      [
        "lockbox audit export --chain tenant:5f0c… --format jsonl --output tenant.jsonl && lockbox audit verify tenant.jsonl",
        "lockbox audit export --format csv > audit.csv",
      ],
      { json: false },
    ),
  )
    .addOption(new Option("--format <format>", "jsonl (the verifiable form) or csv").choices(["jsonl", "csv"]).default("jsonl"))
    .option("--output <file>", "write here instead of stdout")
    .option("--from <time>", "events at or after this time", isoTime)
    .option("--to <time>", "events before this time", isoTime)
    .action(exportAudit);
}
