import type { FastifyInstance } from "fastify";
import type { Deps } from "../deps.js";

/** The public keys that verify grant tokens and audit checkpoints; anyone may fetch them. */
export function jwksRoute(app: FastifyInstance, deps: Deps): void {
  app.get(
    "/.well-known/jwks.json",
    { config: { auth: false }, schema: { tags: ["keys"], summary: "Public signing keys (JWKS)" } },
    async (_req, reply) => {
      // Short caching: a rotation must reach verifiers well before the old key stops signing.
      void reply.header("cache-control", "public, max-age=60");
      return deps.keys.publicJwks();
    },
  );
}
