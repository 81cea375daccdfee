import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, listOf, nameSchema } from "../http/common-schemas.js";
import { createService, listServices } from "./services.js";

const serviceSchema = z.object({ key: z.string(), name: z.string(), description: z.string() });

export function serviceRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get("/v1/services", { schema: { tags: ["services"], response: { 200: listOf(serviceSchema), ...errorResponses } } }, async (req) => {
    callerOf(req);
    return { items: await listServices(deps.db), nextCursor: null };
  });

  r.post(
    "/v1/services",
    {
      schema: {
        tags: ["services"],
        body: z.strictObject({
          key: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lowercase letters, digits, - and _, starting with a letter"),
          name: nameSchema,
          description: z.string().trim().min(1).max(1000).describe("which customer data the service holds"),
        }),
        response: { 201: serviceSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createService(deps, callerOf(req), req.body)),
  );
}
