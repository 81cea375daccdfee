import type { Selectable } from "kysely";
import type { AuditEvent } from "../audit/audit-event.js";
import { toAuditEvent } from "../audit/audit-queries.js";
import { inTransaction } from "../db/in-transaction.js";
import type { AuditSinkTable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { newId } from "../ids.js";
import { openWebhookSecret, webhookSecretKey } from "../notify/webhook-secrets.js";
import { hecBody, ndjsonBody, syslogFrames, toRecord } from "./encode-batch.js";
import { sinkTokenAad } from "./manage-sinks.js";
import { requestIdOf } from "./ocsf.js";
import { OUTAGE_REPORT_AFTER_MS, reportSinkOutage } from "./report-sink-outage.js";
import { sendBatch, type SendOutcome } from "./send-batch.js";
import type { SinkTls } from "./sink-config.js";

export interface AuditStreamer {
  /** Claims every sink that is behind and due, delivers until caught up or failing; returns events delivered. */
  runOnce(): Promise<number>;
  /** Asks for a prompt run after a commit that appended events; a no-op unless started. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

export const SINK_BATCH = 500;
/** How long a claimed sink stays ours without progress; renewed with every delivered batch. */
export const SINK_LEASE_MS = 60_000;
const POLL_MS = 1_000;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 5 * 60_000;

/** 2 s, 4 s, 8 s … capped at 5 minutes: a sink back up is found again within 5 minutes. */
export const sinkRetryDelayMs = (failures: number) => Math.min(FIRST_RETRY_MS * 2 ** Math.min(Math.max(failures - 1, 0), 20), MAX_RETRY_MS);

type Sink = Selectable<AuditSinkTable>;

/**
 * Streams each sink's chain to it, in `seq` order, from the sink's stored cursor. At least once:
 * the cursor moves only after the receiver took a batch, so a crash or an outage re-sends at most
 * the batch in flight and never skips one. Only a gap-free run after the cursor is sent — seqs
 * are assigned under the chain head's lock, so a gap can only be a transaction not yet visible,
 * and waiting for it is what keeps "never skipping" true.
 *
 * It runs beside request steps, never inside them: it only reads committed audit rows, so a slow
 * or dead SIEM cannot hold up an approval. Each sink is delivered on its own, so one failing or
 * hanging sink never delays another. With several instances, a sink is delivered by whichever
 * claimed its lease (a compare-and-set that PostgreSQL re-checks under the row lock); a dead
 * instance's lease lapses after SINK_LEASE_MS and another resumes at the cursor.
 */
export function createAuditStreamer(deps: Deps, wakeMail: () => void): AuditStreamer {
  let timer: NodeJS.Timeout | undefined;
  let wakeQueued = false;
  const inFlight = new Map<string, Promise<number>>();

  const runOnce = async (): Promise<number> => {
    const at = deps.clock.now().toISOString();
    const due = await deps.db
      .selectFrom("audit_sinks as s")
      .innerJoin("audit_heads as h", "h.chain", "s.chain")
      .select("s.id")
      .where("s.deleted_at", "is", null)
      .whereRef("h.seq", ">", "s.cursor_seq")
      .where((eb) => eb.or([eb("s.next_attempt_at", "is", null), eb("s.next_attempt_at", "<=", at)]))
      .where((eb) => eb.or([eb("s.lease_until", "is", null), eb("s.lease_until", "<=", at)]))
      .execute();
    const started: Promise<number>[] = [];
    for (const { id } of due) {
      if (inFlight.has(id)) continue;
      const sink = await claimSink(deps, id);
      if (!sink) continue;
      const work = streamSink(deps, sink, wakeMail)
        .catch((err: unknown) => {
          // Unexpected (the database went away): the lease lapses and the sink is picked up again.
          deps.log.error({ err, sinkId: id }, "audit streaming failed unexpectedly");
          return 0;
        })
        .finally(() => inFlight.delete(id));
      inFlight.set(id, work);
      started.push(work);
    }
    const counts = await Promise.all(started);
    return counts.reduce((a, b) => a + b, 0);
  };

  return {
    runOnce,
    wake() {
      // Coalesced: a burst of commits asks for one run, not one run each.
      if (!timer || wakeQueued) return;
      wakeQueued = true;
      setImmediate(() => {
        wakeQueued = false;
        if (!timer) return;
        runOnce().catch((err: unknown) => deps.log.error({ err }, "audit streaming run failed"));
      });
    },
    start() {
      timer ??= setInterval(() => {
        runOnce().catch((err: unknown) => deps.log.error({ err }, "audit streaming run failed"));
      }, POLL_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await Promise.all([...inFlight.values()].map((p) => p.catch(() => 0)));
    },
  };
}

/** Takes the sink's lease if it is free and the sink is due; on PostgreSQL one instance wins. */
export async function claimSink(deps: Deps, id: string): Promise<(Sink & { lease_token: string }) | undefined> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const row = await deps.db
    .updateTable("audit_sinks")
    .set({ lease_until: new Date(now.getTime() + SINK_LEASE_MS).toISOString(), lease_token: newId() })
    .where("id", "=", id)
    .where("deleted_at", "is", null)
    .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", at)]))
    .where((eb) => eb.or([eb("next_attempt_at", "is", null), eb("next_attempt_at", "<=", at)]))
    .returningAll()
    .executeTakeFirst();
  return row as (Sink & { lease_token: string }) | undefined;
}

async function streamSink(deps: Deps, sink: Sink & { lease_token: string }, wakeMail: () => void): Promise<number> {
  let cursor = Number(sink.cursor_seq);
  let delivered = 0;
  try {
    let token: string | null = null;
    if (sink.token) {
      try {
        token = openWebhookSecret(webhookSecretKey(deps.config), sinkTokenAad(sink.id), sink.token);
      } catch (err) {
        await recordFailure(deps, sink, (err as Error).message, wakeMail);
        return 0;
      }
    }
    const target = {
      type: sink.type,
      url: sink.url,
      token,
      tls: sink.tls ? (JSON.parse(sink.tls) as SinkTls) : null,
      allowPrivate: deps.config.webhookAllowPrivate,
    };
    for (;;) {
      const events = await readAfter(deps, sink.chain, cursor);
      if (events.length === 0) return delivered;
      const outcome = await sendEvents(deps, sink, target, events);
      if (!outcome.ok) {
        // A receiver may echo the request (headers included) in its error body: never store or
        // log the token that way.
        await recordFailure(deps, sink, token ? outcome.error.split(token).join("[redacted]") : outcome.error, wakeMail);
        return delivered;
      }
      const last = events.at(-1)!.seq;
      if (!(await advanceCursor(deps, sink, cursor, last))) return delivered; // lease lost or sink deleted
      delivered += events.length;
      cursor = last;
      // Go round again even after a short batch: events committed while it was on the wire are
      // sent now rather than at the next poll. The loop ends when nothing is left after the cursor.
    }
  } finally {
    await deps.db
      .updateTable("audit_sinks")
      .set({ lease_until: null, lease_token: null })
      .where("id", "=", sink.id)
      .where("lease_token", "=", sink.lease_token)
      .execute();
  }
}

/** Up to one batch after the cursor, cut at the first gap in `seq`. */
async function readAfter(deps: Deps, chain: string, cursor: number): Promise<AuditEvent[]> {
  const rows = await deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("chain", "=", chain)
    .where("seq", ">", cursor)
    .orderBy("seq")
    .limit(SINK_BATCH)
    .execute();
  const events: AuditEvent[] = [];
  for (const row of rows) {
    if (Number(row.seq) !== cursor + events.length + 1) break;
    events.push(toAuditEvent(row));
  }
  return events;
}

async function sendEvents(deps: Deps, sink: Sink, target: Parameters<typeof sendBatch>[0], events: AuditEvent[]): Promise<SendOutcome> {
  const requesters = sink.format === "ocsf" ? await requestersOf(deps, events) : new Map<string, { id: string; name: string }>();
  const context = { productVersion: PRODUCT_VERSION, requester: (id: string) => requesters.get(id) };
  const records = events.map((e) => toRecord(e, sink.format, context));
  const host = new URL(deps.config.publicUrl).hostname;
  const body =
    sink.type === "syslog"
      ? syslogFrames(events, records, host)
      : Buffer.from(sink.type === "splunk_hec" ? hecBody(events, records, sink.format, host) : ndjsonBody(records));
  return sendBatch(target, body);
}

export const PRODUCT_VERSION = "0.1.0";

/** The requester of every request the batch names: in OCSF, the user a grant is given to. */
async function requestersOf(deps: Deps, events: AuditEvent[]): Promise<Map<string, { id: string; name: string }>> {
  const ids = [...new Set(events.map(requestIdOf).filter((id): id is string => id !== undefined))];
  if (ids.length === 0) return new Map();
  const rows = await deps.db
    .selectFrom("access_requests as r")
    .innerJoin("users as u", "u.id", "r.requester_id")
    .select(["r.id as requestId", "u.id as userId", "u.name"])
    .where("r.id", "in", ids)
    .execute();
  return new Map(rows.map((r) => [r.requestId, { id: r.userId, name: r.name }]));
}

/** Moves the cursor forward and renews the lease, only while our lease holds and nobody moved it. */
async function advanceCursor(deps: Deps, sink: Sink & { lease_token: string }, from: number, to: number): Promise<boolean> {
  const now = deps.clock.now();
  const changed = await deps.db
    .updateTable("audit_sinks")
    .set({
      cursor_seq: to,
      last_delivered_at: now.toISOString(),
      failures: 0,
      failing_since: null,
      outage_reported_at: null,
      next_attempt_at: null,
      lease_until: new Date(now.getTime() + SINK_LEASE_MS).toISOString(),
    })
    .where("id", "=", sink.id)
    .where("lease_token", "=", sink.lease_token)
    .where("cursor_seq", "=", from)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  return changed.numUpdatedRows === 1n;
}

/** Counts the failure, schedules the retry, and reports an outage that has lasted long enough. */
async function recordFailure(deps: Deps, sink: Sink & { lease_token: string }, error: string, wakeMail: () => void): Promise<void> {
  const now = deps.clock.now();
  const at = now.toISOString();
  deps.log.warn({ sinkId: sink.id, type: sink.type, err: error }, "audit sink delivery failed");
  await inTransaction(deps, async (work) => {
    const { trx } = work;
    const row = await trx
      .updateTable("audit_sinks")
      .set((eb) => ({
        failures: eb("failures", "+", 1),
        failures_total: eb("failures_total", "+", 1),
        last_error: error.slice(0, 500),
        last_error_at: at,
        failing_since: eb.fn.coalesce("failing_since", eb.val(at)),
        next_attempt_at: new Date(now.getTime() + sinkRetryDelayMs(Number(sink.failures) + 1)).toISOString(),
      }))
      .where("id", "=", sink.id)
      .where("lease_token", "=", sink.lease_token)
      .returningAll()
      .executeTakeFirst();
    if (!row || row.outage_reported_at !== null || row.deleted_at !== null) return;
    if (now.getTime() - Date.parse(row.failing_since ?? at) < OUTAGE_REPORT_AFTER_MS) return;
    const head = await trx.selectFrom("audit_heads").select("seq").where("chain", "=", row.chain).executeTakeFirst();
    const lag = Number(head?.seq ?? 0) - Number(row.cursor_seq);
    if (await reportSinkOutage(trx, row, error, lag, now, deps.config.publicUrl)) work.afterCommit(wakeMail);
  });
}
