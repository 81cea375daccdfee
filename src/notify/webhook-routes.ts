import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idSchema, listOf, pageQuery } from "../http/common-schemas.js";
import { deleteWebhook, listDeliveries, listWebhooks, registerWebhook, type WebhookOwner, webhookEventTypes } from "./manage-webhooks.js";
import { MAX_WEBHOOK_URL_LENGTH } from "./ssrf-guard.js";

const webhookSchema = z.object({
  id: z.string(),
  tenantId: z.string().nullable(),
  url: z.string(),
  events: z.array(z.string()).nullable(),
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
  disabledReason: z.string().nullable(),
});
const createdSchema = webhookSchema.extend({
  secret: z.string().describe("Signing secret, shown only in this answer"),
});
const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  type: z.string(),
  attempt: z.number().int(),
  at: z.string(),
  ok: z.boolean(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});
const createBody = z.strictObject({
  url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH),
  events: z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length).optional(),
});

/**
 * The same four routes for a tenant (`/v1/tenants/{id}/webhooks`, global_admin) and for the
 * provider (`/v1/webhooks`, provider_admin).
 */
export function webhookRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["webhooks"];
  const scopes: { prefix: string; params: z.ZodObject<any>; owner: (p: any) => WebhookOwner }[] = [
    { prefix: "/v1/tenants/:id/webhooks", params: z.strictObject({ id: idSchema }), owner: (p: { id: string }) => p.id },
    { prefix: "/v1/webhooks", params: z.strictObject({}), owner: () => null },
  ];
  for (const s of scopes) {
    const one = s.params.extend({ whId: idSchema });
    r.post(
      s.prefix,
      { config: { stepUp: true }, schema: { tags, params: s.params, body: createBody, response: { 201: createdSchema, ...errorResponses } } },
      async (req, reply) => reply.code(201).send(await registerWebhook(deps, callerOf(req), s.owner(req.params), req.body)),
    );
    r.get(s.prefix, { schema: { tags, params: s.params, response: { 200: listOf(webhookSchema), ...errorResponses } } }, async (req) => ({
      items: await listWebhooks(deps, callerOf(req), s.owner(req.params)),
      nextCursor: null,
    }));
    r.delete(
      `${s.prefix}/:whId`,
      { schema: { tags, params: one, response: { 204: z.null(), ...errorResponses } } },
      async (req, reply) => {
        await deleteWebhook(deps, callerOf(req), s.owner(req.params), (req.params as { whId: string }).whId);
        return reply.code(204).send(null);
      },
    );
    r.get(
      `${s.prefix}/:whId/deliveries`,
      { schema: { tags, params: one, querystring: z.strictObject(pageQuery), response: { 200: listOf(deliverySchema), ...errorResponses } } },
      async (req) => listDeliveries(deps, callerOf(req), s.owner(req.params), (req.params as { whId: string }).whId, req.query),
    );
  }
}
