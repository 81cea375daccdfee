import type { FastifyInstance } from "fastify";
import { probeDatabase } from "../db/connect.js";
import type { Deps } from "../deps.js";

export function healthRoutes(app: FastifyInstance, deps: Deps): void {
  const open = { config: { auth: false as const }, schema: { hide: true } };
  app.get("/healthz", open, async () => ({ status: "ok" }));
  // Ready when the database answers; a load balancer stops sending traffic otherwise.
  app.get("/readyz", open, async (_req, reply) => {
    try {
      // Not through the pool: a pool full of writers must not make the instance look down.
      await probeDatabase(deps.db);
      return { status: "ready" };
    } catch {
      return reply.code(503).send({ status: "database unavailable" });
    }
  });
}
