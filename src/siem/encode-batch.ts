import type { AuditEvent } from "../audit/audit-event.js";
import { type OcsfContext, toOcsf } from "./ocsf.js";
import type { SinkFormat } from "./sink-config.js";

/** One record per event: the export form (`lockbox`, as `GET /v1/audit/export?format=jsonl`) or OCSF. */
export function toRecord(event: AuditEvent, format: SinkFormat, context: OcsfContext): Record<string, unknown> {
  return format === "ocsf" ? toOcsf(event, context) : { ...event };
}

/** `http`: newline-delimited JSON, one record a line. */
export function ndjsonBody(records: Record<string, unknown>[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join("");
}

/**
 * `splunk_hec`: HEC event envelopes, one per event, concatenated (Splunk's batch form). `time` is
 * the event's time in epoch seconds with milliseconds, so Splunk indexes it at when it happened,
 * not when it arrived.
 */
export function hecBody(events: AuditEvent[], records: Record<string, unknown>[], format: SinkFormat, host: string): string {
  const sourcetype = format === "ocsf" ? "lockbox:ocsf" : "lockbox:audit";
  return events
    .map((e, i) => JSON.stringify({ time: Date.parse(e.at) / 1000, host, source: "lockbox", sourcetype, event: records[i] }))
    .join("\n");
}

const SYSLOG_FACILITY_LOG_AUDIT = 13;
const SEVERITY_NOTICE = 5;
const SEVERITY_INFO = 6;
/** MSGID is at most 32 printable US-ASCII characters (RFC 5424 6.2.7). */
const msgIdOf = (operation: string) => operation.replace(/[^\x21-\x7e]/g, "_").slice(0, 32) || "-";
const hostField = (host: string) => host.replace(/[^\x21-\x7e]/g, "").slice(0, 255) || "-";

/**
 * `syslog`: one RFC 5424 message per event — facility 13 (log audit), severity notice for
 * refusals and failures and informational otherwise, APP-NAME `lockbox`, MSGID the operation, no
 * structured data, the record as JSON in MSG — each framed by octet counting (RFC 6587 3.4.1):
 * `<length in bytes> <message>`, so a record may hold any character without breaking framing.
 */
export function syslogFrames(events: AuditEvent[], records: Record<string, unknown>[], host: string): Buffer {
  const frames = events.map((e, i) => {
    const failed = e.operation.endsWith(".denied") || e.operation.endsWith("_failed") || e.operation === "request.revoked";
    const pri = SYSLOG_FACILITY_LOG_AUDIT * 8 + (failed ? SEVERITY_NOTICE : SEVERITY_INFO);
    const message = Buffer.from(`<${pri}>1 ${e.at} ${hostField(host)} lockbox - ${msgIdOf(e.operation)} - ${JSON.stringify(records[i])}`);
    return Buffer.concat([Buffer.from(`${message.length} `), message]);
  });
  return Buffer.concat(frames);
}
