import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf, serviceOf } from "../http/authenticate.js";
import { errorResponses, idParams, idSchema, isoTime } from "../http/common-schemas.js";
import { checkAccess } from "./check-access.js";
import { issueGrantToken } from "./grant-token.js";
import { recordActivity } from "./record-activity.js";
import { listRevocations } from "./revocation-feed.js";

const accessLevel = z.enum(["read", "write"]);
const serviceKey = z.string().min(1).max(64);

const checkBody = z.strictObject({ userId: idSchema, tenantId: idSchema, service: serviceKey, accessLevel });
const checkResult = z.object({
  allowed: z.boolean(),
  requestId: z.string().optional(),
  expiresAt: z.string().optional(),
  reason: z.string().describe("granted, no_active_grant, service_not_granted, insufficient_access, expired, not_started"),
});

const activityEvent = z.strictObject({
  requestId: idSchema,
  operation: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, "lowercase letters, digits and _, starting with a letter")
    .refine((op) => op !== "denied", "`denied` is reserved for refused activity"),
  target: z.string().min(1).max(512),
  at: isoTime.refine((v) => !Number.isNaN(Date.parse(v)), "not a real date and time").optional(),
  refused: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/).optional().describe("the reporter refused the call itself: recorded as operator.denied"),
  details: z
    .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,31}$/), z.union([z.string().max(512), z.number().int().min(-(2 ** 53) + 1).max(2 ** 53 - 1), z.boolean()]))
    .refine((d) => Object.keys(d).length <= 16, "at most 16 keys")
    .optional(),
});
const activityResult = z.object({
  recorded: z.number().int(),
  denied: z.number().int(),
  items: z.array(
    z.object({ index: z.number().int(), outcome: z.enum(["recorded", "denied"]), reason: z.string().optional(), eventId: z.string() }),
  ),
});

const revocationsQuery = z.strictObject({
  after: z.string().regex(/^\d{1,15}$/, "a cursor from nextCursor").optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});
const revocationsPage = z.object({
  items: z.array(z.object({ requestId: z.string(), tenantId: z.string(), at: z.string(), reason: z.string() })),
  nextCursor: z.string(),
});

/** The grant token (for the requester) and the routes only service credentials call. */
export function grantRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ service: [] }];
  const config = { service: true as const };

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

  r.post(
    "/v1/access/check",
    {
      config,
      schema: { tags: ["enforcement"], security, body: checkBody, response: { 200: checkResult, ...errorResponses } },
      // The hot path: the answer is built right here from typed values, so it is written with
      // JSON.stringify instead of being re-validated by zod on the way out. The zod schema
      // above still documents it in the OpenAPI document.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    // Not async: an allow is answered synchronously (Fastify sends a returned plain value).
    (req) => {
      serviceOf(req);
      return checkAccess(deps, req.body);
    },
  );

  r.get(
    "/v1/revocations",
    { config, schema: { tags: ["enforcement"], security, querystring: revocationsQuery, response: { 200: revocationsPage, ...errorResponses } } },
    async (req) => {
      serviceOf(req);
      const after = req.query.after === undefined ? undefined : Number(req.query.after);
      return listRevocations(deps.db, { after, limit: req.query.limit }, deps.clock.now(), deps.config.maxAccessMinutes);
    },
  );

  r.post(
    "/v1/activity",
    {
      config,
      schema: {
        tags: ["enforcement"],
        security,
        body: z.strictObject({ events: z.array(activityEvent).min(1).max(1000) }),
        response: { 200: activityResult, ...errorResponses },
      },
    },
    async (req) => recordActivity(deps, serviceOf(req), req.body.events),
  );
}
