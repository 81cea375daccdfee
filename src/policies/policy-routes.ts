import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams, listOf } from "../http/common-schemas.js";
import { dryRunPolicy } from "./dry-run-policy.js";
import { createPolicy, deletePolicy, updatePolicy } from "./manage-policies.js";
import { listPolicies } from "./policy-queries.js";
import { dryRunSchema, policyBody, policyParams, policySchema } from "./policy-schemas.js";

/**
 * The customer's auto-approval policies (SPEC 17): its global admin's, never the provider's. A
 * change is a security setting: step-up when the tenant asks for it, like its other settings.
 */
export function policyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["policies"];

  r.get(
    "/v1/tenants/:id/policies",
    { schema: { tags, params: idParams, response: { 200: listOf(policySchema), ...errorResponses } } },
    async (req) => ({ items: await listPolicies(deps, callerOf(req), req.params.id), nextCursor: null }),
  );

  r.post(
    "/v1/tenants/:id/policies",
    { config: { stepUp: true }, schema: { tags, params: idParams, body: policyBody, response: { 201: policySchema, ...errorResponses } } },
    async (req, reply) => reply.code(201).send(await createPolicy(deps, callerOf(req), req.params.id, req.body)),
  );

  r.post(
    "/v1/tenants/:id/policies/dry-run",
    { schema: { tags, params: idParams, body: policyBody, response: { 200: dryRunSchema, ...errorResponses } } },
    async (req) => dryRunPolicy(deps, callerOf(req), req.params.id, req.body),
  );

  r.put(
    "/v1/tenants/:id/policies/:policyId",
    { config: { stepUp: true }, schema: { tags, params: policyParams, body: policyBody, response: { 200: policySchema, ...errorResponses } } },
    async (req) => updatePolicy(deps, callerOf(req), req.params.id, req.params.policyId, req.body),
  );

  r.delete(
    "/v1/tenants/:id/policies/:policyId",
    { config: { stepUp: true }, schema: { tags, params: policyParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await deletePolicy(deps, callerOf(req), req.params.id, req.params.policyId);
      return reply.code(204).send(null);
    },
  );
}
