import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
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
    // Behind a TLS proxy the socket address is the proxy's: with LOCKBOX_TRUST_PROXY, request.ip
    // (audit actor.ip, throttles, rate limits) is the client from X-Forwarded-For. Unset, the
    // header is ignored, so no client can choose its own address.
    ...trustProxyOption(deps.config.trustProxy),
    clientErrorHandler: answerClientError,
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

export function trustProxyOption(trust: number | string[] | undefined): { trustProxy?: string[] | ((address: string, hop: number) => boolean) } {
  if (trust === undefined) return {};
  // A hop count trusts that many proxies nearest to us, whatever their address.
  return { trustProxy: typeof trust === "number" ? (_address, hop) => hop < trust : trust };
}

/** What Node's HTTP parser refuses before Fastify sees a request, as codes of the envelope. */
const clientErrors: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "headers_too_large", "the request headers are too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "request_timeout", "the request took too long to arrive"],
};

/**
 * Answers, in the one error envelope, what Node's HTTP parser refuses (oversized headers, a bad
 * request line): there is no request yet, so no request id. Like Node's own handler it writes
 * only on a socket that has not started another answer, and then closes it.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, reason, code, message] = clientErrors[err.code ?? ""] ?? [400, "Bad Request", "invalid_request", "malformed HTTP request"];
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !busy) {
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Whether any string or key in a parsed input holds U+0000. Iterative: bodies may nest deeply. */
export function holdsNul(value: unknown): boolean {
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
