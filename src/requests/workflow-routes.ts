import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { commentSchema, errorResponses, idSchema, optionalBody } from "../http/common-schemas.js";
import { signedDecisionFields } from "../approvals/signed-decision-schemas.js";
import { answerQuestion, askQuestion } from "./ask-question.js";
import { decideExtension, requestExtension } from "./extend-request.js";
import { extensionSchema, questionSchema } from "./request-schemas.js";

const requestParams = z.strictObject({ id: idSchema });
const questionParams = z.strictObject({ id: idSchema, qid: idSchema });
const extensionParams = z.strictObject({ id: idSchema, eid: idSchema });
const textBody = z.strictObject({ text: z.string().trim().min(1).max(2000) });
const extensionBody = z.strictObject({
  minutes: z.number().int().min(1).max(24 * 60).describe("more minutes of access; the total stays within 2 x the tenant's maxAccessMinutes"),
  reason: z.string().trim().min(1).max(2000),
});
const decisionBody = optionalBody({ comment: commentSchema.optional(), ...signedDecisionFields });

/** Questions and extensions on a request (SPEC 17). */
export function workflowRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["requests"];

  r.post(
    "/v1/requests/:id/questions",
    { schema: { tags, params: requestParams, body: textBody, response: { 201: questionSchema, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await askQuestion(deps, callerOf(req), req.params.id, req.body)),
  );

  r.post(
    "/v1/requests/:id/questions/:qid/answer",
    { schema: { tags, params: questionParams, body: textBody, response: { 200: questionSchema, ...errorResponses } } },
    async (req) => answerQuestion(deps, callerOf(req), req.params.id, req.params.qid, req.body),
  );

  r.post(
    "/v1/requests/:id/extensions",
    { schema: { tags, params: requestParams, body: extensionBody, response: { 201: extensionSchema, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await requestExtension(deps, callerOf(req), req.params.id, req.body)),
  );

  for (const verdict of ["approve", "deny"] as const) {
    r.post(
      `/v1/requests/:id/extensions/:eid/${verdict}`,
      { config: { stepUp: true, signatureStepsUp: true }, schema: { tags, params: extensionParams, body: decisionBody, response: { 200: extensionSchema, ...errorResponses } } },
      async (req) => decideExtension(deps, callerOf(req), req.params.id, req.params.eid, verdict, req.body ?? {}),
    );
  }
}
