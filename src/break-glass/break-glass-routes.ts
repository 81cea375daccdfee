import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams, listOf } from "../http/common-schemas.js";
import { accessRequestSchema } from "../requests/request-schemas.js";
import { breakGlass } from "./break-glass-request.js";
import { listDisputedReviews } from "./disputed-reviews.js";
import { reviewBreakGlass } from "./review-break-glass.js";

const reviewBody = z.strictObject({
  verdict: z.enum(["accepted", "disputed"]),
  comment: z.string().max(2000).nullish().describe("required when disputed"),
});

/** Break-glass and its review (SPEC 17). Both are decisions: step-up where the org asks for it. */
export function breakGlassRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["requests"];
  const one = { 200: accessRequestSchema, ...errorResponses };

  r.post("/v1/requests/:id/break-glass", { config: { stepUp: true }, schema: { tags, params: idParams, response: one } }, async (req) =>
    breakGlass(deps, callerOf(req), req.params.id),
  );

  r.post(
    "/v1/requests/:id/review",
    { config: { stepUp: true }, schema: { tags, params: idParams, body: reviewBody, response: one } },
    async (req) => reviewBreakGlass(deps, callerOf(req), req.params.id, req.body),
  );

  r.get("/v1/break-glass/disputed", { schema: { tags, response: { 200: listOf(accessRequestSchema), ...errorResponses } } }, async (req) => ({
    items: await listDisputedReviews(deps, callerOf(req)),
    nextCursor: null,
  }));
}
