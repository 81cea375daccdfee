import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams } from "../http/common-schemas.js";
import { enforcementRoutes } from "./enforcement-routes.js";
import { issueGrantToken } from "./grant-token.js";

/** The grant token (for the requester) and the routes only service credentials call. */
export function grantRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/v1/requests/:id/token",
    {
      schema: {
        tags: ["requests"],
        summary: "A signed grant token for an approved request (requester only)",
        params: idParams,
        response: { 200: z.object({ token: z.string(), expiresAt: z.string() }), ...errorResponses },
      },
    },
    async (req) => issueGrantToken(deps, callerOf(req), req.params.id),
  );

  enforcementRoutes(app, deps);
}
