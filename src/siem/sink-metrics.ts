import { Counter, Gauge, type Registry } from "prom-client";
import type { Deps } from "../deps.js";

/**
 * Audit streaming on `/metrics`, read from the database at scrape time so every instance reports
 * the same figures whichever of them delivers a sink: events behind the chain head, consecutive
 * failures, and failed attempts in total.
 */
export function registerSinkMetrics(register: Registry, deps: Deps): void {
  const read = () =>
    deps.db
      .selectFrom("audit_sinks as s")
      .leftJoin("audit_heads as h", "h.chain", "s.chain")
      .select(["s.id", "s.type", "s.chain", "s.cursor_seq", "s.failures", "s.failures_total", "h.seq"])
      .where("s.deleted_at", "is", null)
      .execute();
  const labels = ["sink", "type", "chain"] as const;
  new Gauge({
    name: "lockbox_audit_sink_lag_events",
    help: "Audit events of the sink's chain not yet delivered to it",
    labelNames: labels,
    registers: [register],
    async collect() {
      this.reset();
      for (const s of await read()) this.set({ sink: s.id, type: s.type, chain: s.chain }, Math.max(0, Number(s.seq ?? 0) - Number(s.cursor_seq)));
    },
  });
  new Gauge({
    name: "lockbox_audit_sink_consecutive_failures",
    help: "Failed delivery attempts since the sink last took a batch (0: healthy)",
    labelNames: labels,
    registers: [register],
    async collect() {
      this.reset();
      for (const s of await read()) this.set({ sink: s.id, type: s.type, chain: s.chain }, Number(s.failures));
    },
  });
  new Counter({
    name: "lockbox_audit_sink_failures_total",
    help: "Failed delivery attempts to the sink since it was created",
    labelNames: labels,
    registers: [register],
    async collect() {
      this.reset();
      for (const s of await read()) this.inc({ sink: s.id, type: s.type, chain: s.chain }, Number(s.failures_total));
    },
  });
}
