import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Deps } from "../deps.js";
import { invalidField } from "../errors.js";
import { installErrorHandler } from "./error-handler.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The Fastify instance with what every answer relies on: bounded input, the zod compilers, the
 * one error envelope (for the router's own refusals too), the request id on every answer, no NUL
 * characters, and an empty JSON body read as no body. `headers` sets the answer headers where
 * Fastify answers before any hook runs.
 */
export function createEdge(deps: Deps, headers: (reply: FastifyReply, url: string) => void): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Bounds on what a client can make the parser do.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A URL the router refuses before any hook runs (bad percent-encoding, a parameter over
    // maxParamLength) gets the one error envelope too, not Fastify's own body.
    frameworkErrors: (err, request, reply) => {
      headers(reply as FastifyReply, request.url);
      void (reply as FastifyReply)
        .code(400)
        .header("x-request-id", request.id)
        .send({ error: { code: "invalid_request", message: err.message, requestId: request.id } });
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  app.addHook("onRequest", (request, reply, done) => {
    // Set first thing, so every answer carries it, errors and 404s included.
    reply.header("x-request-id", request.id);
    // An empty JSON body means "nothing to say" (e.g. `curl -X POST -H 'content-type:
    // application/json' …/approve`): without a body there is nothing to parse, so the content
    // type goes and the route sees no body. Everything else goes through Fastify's own JSON
    // parser (fast, and it refuses prototype-poisoning keys).
    if (request.headers["content-length"] === "0") delete request.headers["content-type"];
    done();
  });
  // PostgreSQL text cannot hold U+0000 (the query fails: a 500) while SQLite would store it:
  // refuse it in every path parameter, query value and body string, alike on both databases.
  app.addHook("preValidation", (request, _reply, done) => {
    const where = holdsNul(request.params) ? "params" : holdsNul(request.query) ? "querystring" : holdsNul(request.body) ? "body" : undefined;
    done(where ? (invalidField(where, "must not contain a NUL character (U+0000)") as FastifyError) : undefined);
  });
  return app;
}

/** Whether any string or key in a parsed input holds U+0000. Iterative: bodies may nest deeply. */
function holdsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.includes("\u0000")) return true;
    } else if (v !== null && typeof v === "object") {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes("\u0000")) return true;
        stack.push(item);
      }
    }
  }
  return false;
}
