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

/** For spreadsheets and SIEMs; details stay JSON in one column. Verify with the JSONL form. */
export function toCsv(events: AsyncIterable<AuditEvent>): Readable {
  const rows = Readable.from(
    (async function* () {
      for await (const e of events) {
        yield [
          e.chain,
          e.seq,
          e.id,
          e.at,
          e.operation,
          e.actor.type,
          e.actor.id,
          e.actor.name,
          e.actor.ip ?? "",
          e.target.type,
          e.target.id,
          JSON.stringify(e.details),
          e.prevHash,
          e.hash,
        ];
      }
    })(),
  );
  return rows.pipe(stringify({ header: true, columns: csvColumns }));
}
