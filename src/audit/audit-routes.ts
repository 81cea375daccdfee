import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { invalidField } from "../errors.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idSchema, isoTime, listOf, pageQuery } from "../http/common-schemas.js";
import { readableChain } from "./audit-access.js";
import { readChain, searchAudit } from "./audit-queries.js";
import { listCheckpoints } from "./checkpoints.js";
import { toCsv, toJsonl } from "./export-audit.js";
import { transparencyRoutes } from "./transparency-routes.js";
import { auditEventSchema } from "./audit-event-schema.js";

const chainSchema = z.string().min(1).max(80);

export function auditRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["audit"];

  r.get(
    "/v1/audit",
    {
      schema: {
        tags,
        querystring: z.strictObject({
          chain: chainSchema.optional(),
          from: isoTime.optional(),
          to: isoTime.optional(),
          operation: z.string().min(1).max(100).optional(),
          actor: idSchema.optional(),
          requestId: idSchema.optional(),
          ...pageQuery,
        }),
        response: { 200: listOf(auditEventSchema), ...errorResponses },
      },
    },
    async (req) => {
      const chain = readableChain(callerOf(req).user, req.query.chain);
      return searchAudit(deps.db, { ...req.query, chain });
    },
  );

  // Every public key that ever signed, so checkpoints older than the JWKS's publication window
  // still verify. Public keys are not secret: anyone may fetch them.
  r.get(
    "/v1/audit/jwks.json",
    { config: { auth: false }, schema: { tags, description: "All public keys that ever signed a checkpoint (JWKS)" } },
    async () => deps.keys.publicJwks({ includeUnpublished: true }),
  );

  r.get(
    "/v1/audit/checkpoints",
    {
      schema: {
        tags,
        description: "The chain's signed checkpoints, oldest first: the --checkpoints input of `lockbox audit verify`.",
        querystring: z.strictObject({ chain: chainSchema.optional() }),
        response: {
          200: listOf(z.object({ chain: z.string(), seq: z.number().int(), hash: z.string(), at: z.string(), jws: z.string() })),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const chain = readableChain(callerOf(req).user, req.query.chain);
      if (chain === null) throw invalidField("chain", "name the chain");
      return { items: await listCheckpoints(deps, chain), nextCursor: null };
    },
  );

  r.get(
    "/v1/audit/export",
    {
      schema: {
        tags,
        description: "The chain oldest first, streamed. JSONL lines are the export form that `lockbox audit verify` checks.",
        querystring: z.strictObject({
          format: z.enum(["jsonl", "csv"]).default("jsonl"),
          chain: chainSchema.optional(),
          from: isoTime.optional(),
          to: isoTime.optional(),
        }),
      },
    },
    async (req, reply) => {
      const chain = readableChain(callerOf(req).user, req.query.chain);
      if (chain === null) throw invalidField("chain", "name the chain to export");
      const events = readChain(deps.db, { chain, from: req.query.from, to: req.query.to });
      const csv = req.query.format === "csv";
      const file = `${chain.replace(/[^a-z0-9-]/gi, "_")}.${req.query.format}`;
      return reply
        .type(csv ? "text/csv; charset=utf-8" : "application/x-ndjson")
        .header("content-disposition", `attachment; filename="${file}"`)
        .send(csv ? toCsv(events) : toJsonl(events));
    },
  );

  transparencyRoutes(app, deps);
}
