import { Readable } from "node:stream";
import { stringify } from "csv-stringify";
import type { AuditEvent } from "./audit-event.js";

export type ExportFormat = "jsonl" | "csv";

/** JSONL lines are the export form (the hashed object plus `hash`), the input of `audit verify`. */
export function toJsonl(events: AsyncIterable<AuditEvent>): Readable {
  return Readable.from(
    (async function* () {
      for await (const e of events) yield `${JSON.stringify(e)}\n`;
    })(),
  );
}

const csvColumns = [
  "chain",
  "seq",
  "id",
  "at",
  "operation",
  "actor_type",
  "actor_id",
  "actor_name",
  "actor_ip",
  "target_type",
  "target_id",
  "details",
  "prev_hash",
  "hash",
];

/**
 * Spreadsheets run a cell that begins with = + - @ (and, after they strip it, a leading tab or
 * CR) as a formula: an engineer named `=HYPERLINK(...)` would otherwise become a live link in the
 * customer's copy of the log (OWASP "CSV injection"). Such a cell gets a leading `'`, which
 * spreadsheets read as "this is text". Only the CSV form is escaped; JSONL is what is hashed and
 * stays exact.
 */
export function csvSafe(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** For spreadsheets and SIEMs; details stay JSON in one column. Verify with the JSONL form. */
export function toCsv(events: AsyncIterable<AuditEvent>): Readable {
  const rows = Readable.from(
    (async function* () {
      for await (const e of events) {
        // Every text cell goes through csvSafe, not only the names: any of them may carry
        // text a person chose (a target id, an operation reported by a service).
        yield [
          csvSafe(e.chain),
          e.seq,
          csvSafe(e.id),
          csvSafe(e.at),
          csvSafe(e.operation),
          csvSafe(e.actor.type),
          csvSafe(e.actor.id),
          csvSafe(e.actor.name),
          csvSafe(e.actor.ip ?? ""),
          csvSafe(e.target.type),
          csvSafe(e.target.id),
          csvSafe(JSON.stringify(e.details)),
          csvSafe(e.prevHash),
          csvSafe(e.hash),
        ];
      }
    })(),
  );
  return rows.pipe(stringify({ header: true, columns: csvColumns }));
}
