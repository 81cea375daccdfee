import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams, listOf } from "../http/common-schemas.js";
import { approveRequest } from "./approve-request.js";
import { cancelRequest } from "./cancel-request.js";
import { completeRequest } from "./complete-request.js";
import { createRequest } from "./create-request.js";
import { denyRequest } from "./deny-request.js";
import { getRequest, listRequests } from "./request-queries.js";
import { accessRequestSchema, approveBody, commentBody, createRequestBody, listRequestsQuery, signedCommentBody } from "./request-schemas.js";
import { revokeRequest } from "./revoke-request.js";

export function requestRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["requests"];
  const one = { 200: accessRequestSchema, ...errorResponses };

  r.post(
    "/v1/requests",
    { schema: { tags, body: createRequestBody, response: { 201: accessRequestSchema, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await createRequest(deps, callerOf(req), req.body)),
  );

  r.get(
    "/v1/requests",
    { schema: { tags, querystring: listRequestsQuery, response: { 200: listOf(accessRequestSchema), ...errorResponses } } },
    async (req) => listRequests(deps.db, callerOf(req).user, req.query, deps.clock.now()),
  );

  r.get("/v1/requests/:id", { schema: { tags, params: idParams, response: one } }, async (req) =>
    getRequest(deps.db, callerOf(req).user, req.params.id, deps.clock.now()),
  );

  r.post("/v1/requests/:id/approve", { config: { stepUp: true, signatureStepsUp: true }, schema: { tags, params: idParams, body: approveBody, response: one } }, async (req) =>
    approveRequest(deps, callerOf(req), req.params.id, req.body ?? {}),
  );

  r.post("/v1/requests/:id/deny", { config: { stepUp: true, signatureStepsUp: true }, schema: { tags, params: idParams, body: signedCommentBody, response: one } }, async (req) =>
    denyRequest(deps, callerOf(req), req.params.id, req.body ?? {}),
  );

  r.post("/v1/requests/:id/cancel", { schema: { tags, params: idParams, body: commentBody, response: one } }, async (req) =>
    cancelRequest(deps, callerOf(req), req.params.id, req.body ?? {}),
  );

  r.post("/v1/requests/:id/revoke", { config: { stepUp: true, signatureStepsUp: true }, schema: { tags, params: idParams, body: signedCommentBody, response: one } }, async (req) =>
    revokeRequest(deps, callerOf(req), req.params.id, req.body ?? {}),
  );

  r.post("/v1/requests/:id/complete", { schema: { tags, params: idParams, response: one } }, async (req) =>
    completeRequest(deps, callerOf(req), req.params.id),
  );
}
