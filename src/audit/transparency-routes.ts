import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { AppError, invalidField, notFound } from "../errors.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idSchema } from "../http/common-schemas.js";
import { readableChain } from "./audit-access.js";
import { toAuditEvent } from "./audit-queries.js";
import { cosignedNote, latestNote } from "./log-checkpoints.js";
import { listVerifierKeys } from "./log-key.js";
import { canonicalEvent, proveConsistency, proveInclusion, treeSize } from "./merkle-store.js";
import { formatProofBundle } from "./proof-bundle.js";

const chainSchema = z.string().min(1).max(80);
const count = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const hashList = z.array(z.string().max(44)).max(63);
const text = { 200: z.string(), ...errorResponses };

/**
 * The audit log as a transparency log (SPEC §16): the log key, each chain's latest signed
 * checkpoint, inclusion and consistency proofs, and a tlog-proof bundle per event. The same
 * readers as the chain itself (audit-access.ts); another tenant's chain is 404.
 */
export function transparencyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["audit"];

  async function chainOf(user: Parameters<typeof readableChain>[0], requested: string | undefined): Promise<{ chain: string; size: number }> {
    const chain = readableChain(user, requested);
    if (chain === null) throw invalidField("chain", "name the chain");
    const size = await treeSize(deps.db, chain);
    if (size === 0) throw notFound("chain");
    return { chain, size };
  }

  // Public, like the JWKS: the verifier keys are what a customer pins.
  r.get(
    "/v1/audit/log-key",
    {
      config: { auth: false },
      schema: {
        tags,
        description: "The audit log's note verifier keys, one a line: the active key first, retired keys after it.",
        response: { 200: z.string() },
      },
    },
    async (_req, reply) => {
      const keys = await listVerifierKeys(deps.db);
      return reply.type("text/plain; charset=utf-8").send(keys.map((k) => `${k.verifierKey}\n`).join(""));
    },
  );

  r.get(
    "/v1/audit/checkpoint",
    {
      schema: {
        tags,
        description: "The chain's latest checkpoint: a C2SP signed note, witness cosignatures as extra signature lines. 204 while the chain has no checkpoint yet.",
        querystring: z.strictObject({ chain: chainSchema.optional() }),
        response: { ...text, 204: z.null().describe("No checkpoint is signed yet") },
      },
    },
    async (req, reply) => {
      const { chain } = await chainOf(callerOf(req).user, req.query.chain);
      const checkpoint = await latestNote(deps.db, chain);
      // 204, not 404, for a chain whose first checkpoint is not signed yet: it is a normal state
      // (the checkpointer signs within minutes), and browsers log every 404 as an error.
      if (!checkpoint) return reply.code(204).send(null);
      return reply.type("text/plain; charset=utf-8").send(await cosignedNote(deps.db, checkpoint));
    },
  );

  r.get(
    "/v1/audit/proof/inclusion",
    {
      schema: {
        tags,
        description: "RFC 6962 inclusion proof of event `seq` (leaf seq−1) in the chain's tree of `size` events.",
        querystring: z.strictObject({ chain: chainSchema.optional(), seq: count.min(1), size: count.min(1) }),
        response: { 200: z.object({ chain: z.string(), seq: z.number().int(), size: z.number().int(), proof: hashList }), ...errorResponses },
      },
    },
    async (req) => {
      const { chain, size: treeSizeNow } = await chainOf(callerOf(req).user, req.query.chain);
      const { seq, size } = req.query;
      if (size > treeSizeNow) throw invalidField("size", `the tree holds ${treeSizeNow} events`);
      if (seq > size) throw invalidField("seq", "must be at most size");
      const proof = await proveInclusion(deps.db, chain, seq, size);
      return { chain, seq, size, proof: proof.map((h) => h.toString("base64")) };
    },
  );

  r.get(
    "/v1/audit/proof/consistency",
    {
      schema: {
        tags,
        description: "RFC 6962 consistency proof: the tree of `from` events is a prefix of the tree of `to` events.",
        querystring: z.strictObject({ chain: chainSchema.optional(), from: count, to: count.min(1) }),
        response: { 200: z.object({ chain: z.string(), from: z.number().int(), to: z.number().int(), proof: hashList }), ...errorResponses },
      },
    },
    async (req) => {
      const { chain, size: treeSizeNow } = await chainOf(callerOf(req).user, req.query.chain);
      const { from, to } = req.query;
      if (to > treeSizeNow) throw invalidField("to", `the tree holds ${treeSizeNow} events`);
      if (from > to) throw invalidField("from", "must be at most to");
      const proof = await proveConsistency(deps.db, chain, from, to);
      return { chain, from, to, proof: proof.map((h) => h.toString("base64")) };
    },
  );

  r.get(
    "/v1/audit/events/:id/proof",
    {
      schema: {
        tags,
        description:
          "A C2SP tlog-proof bundle for one event: its leaf data (extra), its index, the inclusion proof and the latest signed checkpoint.",
        params: z.strictObject({ id: idSchema }),
        response: text,
      },
    },
    async (req, reply) => {
      const row = await deps.db.selectFrom("audit_events").selectAll().where("id", "=", req.params.id).executeTakeFirst();
      if (!row) throw notFound("event");
      const user = callerOf(req).user;
      const { chain } = await chainOf(user, row.chain);
      const checkpoint = await latestNote(deps.db, chain);
      const seq = Number(row.seq);
      if (!checkpoint || checkpoint.size < seq) {
        throw new AppError("conflict", `event seq ${seq} is not in a signed checkpoint yet; one is signed within 5 minutes`);
      }
      const { hash: _hash, ...unsealed } = toAuditEvent(row);
      const proof = await proveInclusion(deps.db, chain, seq, checkpoint.size);
      const note = await cosignedNote(deps.db, checkpoint);
      return reply
        .type("text/plain; charset=utf-8")
        .send(formatProofBundle({ extra: Buffer.from(canonicalEvent(unsealed)), index: seq - 1, proof, checkpoint: note }));
    },
  );
}
