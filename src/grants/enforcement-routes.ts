import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { serviceOf } from "../http/authenticate.js";
import { errorResponses, idSchema } from "../http/common-schemas.js";
import { activityEventSchema } from "./activity-event.js";
import { checkAccess } from "./check-access.js";
import { DENIED_REASONS, recordActivity } from "./record-activity.js";
import { MAX_FEED_WAIT_SECONDS, waitForRevocations } from "./revocation-feed.js";

const accessLevel = z.enum(["read", "write"]);
const serviceKey = z.string().min(1).max(64);

const checkBody = z.strictObject({ userId: idSchema, tenantId: idSchema, service: serviceKey, accessLevel });
const checkResult = z.object({
  allowed: z.boolean(),
  requestId: z.string().optional(),
  expiresAt: z.string().optional(),
  reason: z.string().describe("granted, no_active_grant, service_not_granted, insufficient_access, expired, not_started"),
});

// Each item is judged on its own (§13): an item that is not a valid event is not refused with the
// batch but recorded as operator.denied (invalid_event). The schema says so: a valid event, or
// anything else, which the answer then reports as invalid.
const activityBody = z.strictObject({
  events: z
    .array(z.union([activityEventSchema, z.unknown().describe("anything else: recorded as operator.denied, reason invalid_event")]))
    .min(1)
    .max(1000),
});
const activityResult = z.object({
  recorded: z.number().int().describe("events recorded as operator.<operation>"),
  denied: z.number().int().describe("events recorded as operator.denied, the invalid ones included"),
  invalid: z.number().int().describe("of the denied, those that were not valid events"),
  items: z.array(
    z.object({
      index: z.number().int().describe("the event's position in the batch"),
      outcome: z.enum(["recorded", "denied"]),
      reason: z.enum(DENIED_REASONS).optional(),
      eventId: z.string().describe("the audit event written for it"),
      problems: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe("why an invalid_event was invalid"),
    }),
  ),
});

const revocationsQuery = z.strictObject({
  // PostgreSQL cursors are xid × 2^20 + index (grant-listener.ts): up to 16 digits, below 2^53.
  after: z.string().regex(/^\d{1,16}$/, "a cursor from nextCursor").refine((v) => Number.isSafeInteger(Number(v)), "a cursor from nextCursor").optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_FEED_WAIT_SECONDS)
    .default(0)
    .describe("long poll: wait up to this many seconds for an item after the cursor (answers at once when there is one)"),
});
const revocationsPage = z.object({
  items: z.array(z.object({ requestId: z.string(), tenantId: z.string(), at: z.string(), reason: z.string() })),
  nextCursor: z.string(),
});

/**
 * The three routes only service credentials call: the access check, activity, the revocations
 * feed. Registered on the main listener (grant-routes.ts) and, with LOCKBOX_MACHINE_PORT, on the
 * lean machine listener (src/http/machine-server.ts): one definition, one use case each.
 */
export function enforcementRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ service: [] }];
  const config = { service: true as const };

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
    async (req, reply) => {
      serviceOf(req);
      const after = req.query.after === undefined ? undefined : Number(req.query.after);
      const input = { after, limit: req.query.limit };
      // A caller that goes away stops its long poll (the response's close fires on disconnect).
      const gone = new AbortController();
      const onClose = () => gone.abort();
      reply.raw.once("close", onClose);
      try {
        const page = await waitForRevocations(deps.db, deps.grants, input, () => deps.clock.now(), deps.config.maxAccessMinutes, req.query.wait * 1000, gone.signal);
        // A long poll whose caller went away, or that the server's shutdown cut short, must not
        // leave its connection kept alive (the server's close would wait out the keep-alive).
        if (gone.signal.aborted || deps.grants.closing) void reply.header("connection", "close");
        return page;
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );

  r.post(
    "/v1/activity",
    {
      config,
      schema: {
        tags: ["enforcement"],
        summary: "Report operator activity (1…1000 events); each event is judged and recorded on its own",
        security,
        body: activityBody,
        response: { 200: activityResult, ...errorResponses },
      },
    },
    async (req) => recordActivity(deps, serviceOf(req), req.body.events),
  );
}
