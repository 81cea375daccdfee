import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams } from "../http/common-schemas.js";
import { getDecisionStatement } from "./get-decision-statement.js";
import { getRequestEvidence } from "./get-request-evidence.js";
import { evidenceResponse, statementQuery, statementResponse } from "./signed-decision-schemas.js";

/** The statement an approver signs, and the evidence enforcement points check (SPEC 15). */
export function approvalRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["requests"];

  r.get(
    "/v1/requests/:id/statement",
    {
      schema: {
        tags,
        summary: "The decision statement to sign with a passkey (tenant approvers)",
        description: "Sign `challenge` with startAuthentication (userVerification required) and send {statement, assertion} with the decision within 5 minutes.",
        params: idParams,
        querystring: statementQuery,
        response: { 200: statementResponse, ...errorResponses },
      },
    },
    async (req) => getDecisionStatement(deps, callerOf(req), req.params.id, req.query),
  );

  r.get(
    "/v1/requests/:id/evidence",
    {
      config: { service: true },
      schema: {
        tags,
        summary: "The signed decisions of a request with the passkeys and chain events that prove them",
        description: "For service credentials (the SDK and gateway with requireSignedApprovals) and anyone who may see the request.",
        params: idParams,
        response: { 200: evidenceResponse, ...errorResponses },
      },
    },
    async (req) => getRequestEvidence(deps, req.service ? null : callerOf(req).user, req.params.id),
  );
}
