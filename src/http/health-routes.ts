import { sql } from "kysely";
import type { FastifyInstance } from "fastify";
import type { Deps } from "../deps.js";

export function healthRoutes(app: FastifyInstance, deps: Deps): void {
  const open = { config: { auth: false as const }, schema: { hide: true } };
  app.get("/healthz", open, async () => ({ status: "ok" }));
  // Ready when the database answers; a load balancer stops sending traffic otherwise.
  app.get("/readyz", open, async (_req, reply) => {
    try {
      await sql`select 1`.execute(deps.db);
      return { status: "ready" };
    } catch {
      return reply.code(503).send({ status: "database unavailable" });
    }
  });
}
