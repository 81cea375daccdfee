import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { Deps } from "../deps.js";
import { registerSinkMetrics } from "../siem/sink-metrics.js";

/**
 * `GET /metrics` in Prometheus text format: process metrics, HTTP answers by route and status,
 * the access check's grant index, and requests by stored status (read from the database at
 * scrape time only). One registry per app, so several apps in one process do not collide.
 */
export function metricsRoutes(app: FastifyInstance, deps: Deps): void {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "lockbox_" });
  registerSinkMetrics(register, deps);
  const answers = new Counter({
    name: "lockbox_http_requests_total",
    help: "HTTP answers by method, route pattern and status code",
    labelNames: ["method", "route", "status_code"],
    registers: [register],
  });
  new Gauge({
    name: "lockbox_active_grants",
    help: "Grants in this instance's access-check index",
    registers: [register],
    collect() {
      this.set(deps.grants.size);
    },
  });
  new Gauge({
    name: "lockbox_requests",
    help: "Data access requests by stored status (the sweeper records time-made ends within a minute)",
    labelNames: ["status"],
    registers: [register],
    async collect() {
      const rows = await deps.db
        .selectFrom("access_requests")
        .select(["status", deps.db.fn.countAll().as("n")])
        .groupBy("status")
        .execute();
      this.reset();
      for (const r of rows) this.set({ status: r.status }, Number(r.n));
    },
  });

  app.addHook("onResponse", (request, reply, done) => {
    // The route pattern, never the raw URL: ids would make the label set unbounded.
    answers.inc({ method: request.method, route: request.routeOptions.url ?? "unmatched", status_code: reply.statusCode });
    done();
  });
  app.get("/metrics", { config: { auth: false }, schema: { hide: true } }, async (_req, reply) => {
    reply.type(register.contentType);
    return register.metrics();
  });
}
