import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams, listOf, nameSchema } from "../http/common-schemas.js";
import { createServiceCredential, deleteServiceCredential, listServiceCredentials } from "./service-credentials.js";

const credential = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });

export function serviceCredentialRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["service credentials"];

  r.post(
    "/v1/service-credentials",
    {
      config: { stepUp: true },
      schema: {
        tags,
        summary: "Create a service credential (the token is shown once)",
        body: z.strictObject({ name: nameSchema }),
        response: { 201: credential.extend({ token: z.string() }), ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createServiceCredential(deps, callerOf(req), req.body)),
  );

  r.get("/v1/service-credentials", { schema: { tags, response: { 200: listOf(credential), ...errorResponses } } }, async (req) => ({
    items: await listServiceCredentials(deps, callerOf(req)),
    nextCursor: null,
  }));

  r.delete(
    "/v1/service-credentials/:id",
    { schema: { tags, params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await deleteServiceCredential(deps, callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
