import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idSchema, listOf } from "../http/common-schemas.js";
import { createAuditSink, deleteAuditSink, getAuditSinkStatus, listAuditSinks } from "./manage-sinks.js";
import { MAX_CA_PEM_LENGTH, MAX_SINK_TOKEN_LENGTH, MAX_SINK_URL_LENGTH, sinkFormats, sinkTypes } from "./sink-config.js";
import type { SinkOwner } from "./sink-queries.js";

const tlsSchema = z.strictObject({
  ca: z.string().min(1).max(MAX_CA_PEM_LENGTH).optional().describe("PEM certificate(s) of a private CA to trust"),
  serverName: z.string().min(1).max(253).optional().describe("Name expected on the receiver's certificate"),
});
const sinkSchema = z.object({
  id: z.string(),
  tenantId: z.string().nullable(),
  chain: z.string(),
  type: z.enum(sinkTypes),
  url: z.string(),
  format: z.enum(sinkFormats),
  hasToken: z.boolean().describe("Whether a token is stored; the token itself is never shown"),
  tls: z.object({ ca: z.string().optional(), serverName: z.string().optional() }).nullable(),
  createdAt: z.string(),
});
const statusSchema = z.object({
  id: z.string(),
  lastDeliveredSeq: z.number().int(),
  lag: z.number().int().describe("Events of the chain not yet delivered"),
  headSeq: z.number().int(),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  lastDeliveredAt: z.string().nullable(),
  failures: z.number().int().describe("Consecutive failed attempts"),
  nextAttemptAt: z.string().nullable(),
});
const createBody = z.strictObject({
  type: z.enum(sinkTypes),
  url: z.string().min(1).max(MAX_SINK_URL_LENGTH).describe("splunk_hec/http: https?://…; syslog: tcp://host:port or tls://host:port"),
  token: z.string().min(1).max(MAX_SINK_TOKEN_LENGTH).optional().describe("HEC token (splunk_hec) or bearer token (http); stored encrypted, never shown"),
  format: z.enum(sinkFormats),
  tls: tlsSchema.optional(),
});

/**
 * Audit streaming (SPEC 19): the same routes for a tenant (`/v1/tenants/{id}/audit-sinks`,
 * global_admin) and for the provider (`/v1/audit-sinks`, provider_admin).
 */
export function auditSinkRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["audit streaming"];
  const scopes: { prefix: string; params: z.ZodObject<any>; owner: (p: any) => SinkOwner }[] = [
    { prefix: "/v1/tenants/:id/audit-sinks", params: z.strictObject({ id: idSchema }), owner: (p: { id: string }) => p.id },
    { prefix: "/v1/audit-sinks", params: z.strictObject({}), owner: () => null },
  ];
  for (const s of scopes) {
    const one = s.params.extend({ sinkId: idSchema });
    const sinkId = (req: { params: unknown }) => (req.params as { sinkId: string }).sinkId;
    r.post(
      s.prefix,
      { config: { stepUp: true }, schema: { tags, params: s.params, body: createBody, response: { 201: sinkSchema, ...errorResponses } } },
      async (req, reply) => reply.code(201).send(await createAuditSink(deps, callerOf(req), s.owner(req.params), req.body)),
    );
    r.get(s.prefix, { schema: { tags, params: s.params, response: { 200: listOf(sinkSchema), ...errorResponses } } }, async (req) => ({
      items: await listAuditSinks(deps, callerOf(req), s.owner(req.params)),
      nextCursor: null,
    }));
    r.delete(`${s.prefix}/:sinkId`, { schema: { tags, params: one, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteAuditSink(deps, callerOf(req), s.owner(req.params), sinkId(req));
      return reply.code(204).send(null);
    });
    r.get(`${s.prefix}/:sinkId/status`, { schema: { tags, params: one, response: { 200: statusSchema, ...errorResponses } } }, async (req) =>
      getAuditSinkStatus(deps, callerOf(req), s.owner(req.params), sinkId(req)),
    );
  }
}
