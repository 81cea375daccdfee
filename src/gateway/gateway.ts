import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import replyFrom from "@fastify/reply-from";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { createVerifier, GrantError, type VerifiedGrant, type Verifier } from "../sdk/index.js";
import { accessFor, FORWARDED_METHODS, operationOf, requestProblem, upstreamHeaders } from "./request-rules.js";

export interface GatewayOptions {
  /** The Lockbox server, e.g. https://lockbox.example.com */
  server: string;
  /** The service key this upstream belongs to (a key of the service catalog). */
  service: string;
  /** The internal admin API the gateway guards. */
  upstream: string;
  port: number;
  host?: string;
  /** A service credential (lbs_…): reads revocations, posts activity. */
  token: string;
  /** Expected token issuer (the server's LOCKBOX_PUBLIC_URL); unchecked when not given. */
  issuer?: string;
  /** Revocation polling; the gateway refuses a revoked grant within about this long. Default 1000 ms. */
  revocationPollMs?: number;
  /**
   * Fail closed: while activity has waited unrecorded longer than this, answer 503
   * `audit_unavailable` instead of forwarding. Default 30.
   */
  maxUnrecordedSeconds?: number;
  /**
   * Pass a grant only when the customer's approvers signed it with their passkeys (SPEC 15):
   * the request's evidence is fetched once per request id and every signature and `apv` checked.
   */
  requireSignedApprovals?: boolean;
  /** Fastify logger level; default "info". */
  logLevel?: string;
  /** For tests: the current time (token checks, event times, and how long activity waits). */
  now?: () => Date;
}

export interface Gateway {
  app: FastifyInstance;
  url: string;
  verifier: Verifier;
  close(): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set only on a call that is let through to the upstream. */
    lockboxGrant?: VerifiedGrant;
    /** When the call arrived: the time its activity event carries. */
    lockboxAt?: Date;
  }
}

const ENVELOPE_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** The Lockbox error envelope, for every answer the gateway makes itself. */
function refuse(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).headers(ENVELOPE_HEADERS).send(JSON.stringify({ error: { code, message, requestId: request.id } }));
}

/** Node's parser refused the request before Fastify saw it (bad request line, headers too large). */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const code = status === 431 ? "headers_too_large" : status === 408 ? "request_timeout" : "invalid_request";
  const body = JSON.stringify({ error: { code, message: STATUS_CODES[status] ?? "bad request", requestId: randomUUID() } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * A reverse proxy in front of one internal admin API that belongs to one service. Every call must
 * carry `Authorization: Lockbox <grant token>` and `X-Lockbox-Tenant`; the token is verified
 * offline (signature, time, tenant, service, method → access level, revocations) before the body
 * is read, and only allowed calls reach the upstream, without the grant token, with the four
 * `X-Lockbox-*` headers set from the grant (§13). Every call made with a genuine token, allowed or
 * refused, is reported as operator activity (method, path, status) to the tenant's audit log,
 * batched; while that activity cannot be recorded for longer than `maxUnrecordedSeconds`, the
 * gateway fails closed and answers 503 `audit_unavailable` instead of forwarding.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const server = options.server.replace(/\/$/, "");
  const maxUnrecordedMs = (options.maxUnrecordedSeconds ?? 30) * 1000;
  const verifier = createVerifier({
    jwksUrl: `${server}/.well-known/jwks.json`,
    server,
    token: options.token,
    issuer: options.issuer ?? false,
    revocationPollMs: options.revocationPollMs ?? 1000,
    // Retry often enough that recording resumes (and so serving) soon after the server is back.
    activityMaxRetryMs: Math.min(5000, maxUnrecordedMs),
    ...(options.now ? { now: options.now } : {}),
    onError: (err) => app.log.warn({ err: err.message }, "lockbox gateway background error"),
  });
  const app = Fastify({
    logger: { level: options.logLevel ?? "info", redact: ["req.headers.authorization"] },
    bodyLimit: 50 * 1024 * 1024,
    genReqId: () => randomUUID(),
    clientErrorHandler: answerClientError,
  });
  await app.register(replyFrom, { base: options.upstream, disableRequestLogging: true });
  // Bodies pass through untouched as streams; nothing is parsed or buffered.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
  app.setNotFoundHandler((request, reply) => refuse(request, reply, 404, "not_found", "no such route"));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, "lockbox gateway error");
    const code = status === 413 ? "payload_too_large" : status === 500 ? "internal" : "invalid_request";
    return refuse(request, reply, status, code, status === 500 ? "internal error" : err.message);
  });

  const now = options.now ?? (() => new Date());
  /** Calls let through whose activity is not reported yet: they need room in the buffer. */
  let inFlight = 0;

  /** Reports the call once its response is over, however it ends (finished or aborted). */
  function reportWhenDone(request: FastifyRequest, reply: FastifyReply, requestId: string, refused: string | undefined): void {
    reply.raw.once("close", () => {
      const path = request.url.slice(0, 400);
      try {
        verifier.reportActivity({
          requestId,
          operation: operationOf(request.method),
          target: `${request.method.slice(0, 32)} ${path}`,
          at: request.lockboxAt ?? now(),
          ...(refused ? { refused } : {}),
          details: {
            method: request.method.slice(0, 32),
            path,
            status: reply.statusCode,
            service: options.service,
            ...(reply.raw.writableFinished ? {} : { aborted: true }),
          },
        });
      } catch (err) {
        // Only a refusal can get here (forwarded calls had room reserved): no access went unrecorded.
        request.log.error({ err: (err as Error).message, requestId }, "lockbox gateway could not queue activity");
      } finally {
        if (!refused) inFlight -= 1;
      }
    });
  }

  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    request.lockboxAt = now();
    const header = request.headers.authorization ?? "";
    const [scheme, token] = header.split(" ", 2);
    if (scheme?.toLowerCase() !== "lockbox" || !token) {
      return refuse(request, reply, 401, "unauthenticated", "send Authorization: Lockbox <grant token>");
    }
    const problem = requestProblem(request.method, request.url, request.headers);
    const tenant = request.headers["x-lockbox-tenant"];
    if (typeof tenant !== "string" || tenant.length === 0 || tenant.length > 64) {
      if (problem) return refuse(request, reply, problem.status, problem.code, problem.message);
      return refuse(request, reply, 403, "tenant_required", "send X-Lockbox-Tenant: <tenant id>");
    }
    // A refused call is still verified, so an attempt made with a genuine token is on the record.
    const access = problem ? "read" : accessFor(request.method);
    let grant: VerifiedGrant;
    try {
      grant = await verifier.verify(token, { tenant, service: options.service, access, requireSignedApprovals: options.requireSignedApprovals === true });
    } catch (err) {
      if (!(err instanceof GrantError)) throw err;
      if (err.requestId) reportWhenDone(request, reply, err.requestId, problem?.code ?? err.code);
      if (problem) return refuse(request, reply, problem.status, problem.code, problem.message);
      return refuse(request, reply, err.status, err.code, err.message);
    }
    if (problem) {
      reportWhenDone(request, reply, grant.requestId, problem.code);
      if (problem.status === 405) void reply.header("allow", FORWARDED_METHODS.join(", "));
      return refuse(request, reply, problem.status, problem.code, problem.message);
    }
    // Fail closed (§13): no access without a record.
    const stats = verifier.activityStats();
    if (stats.oldestPendingMs > maxUnrecordedMs || stats.pending + inFlight >= stats.capacity) {
      reportWhenDone(request, reply, grant.requestId, "audit_unavailable");
      void reply.header("retry-after", "5");
      return refuse(request, reply, 503, "audit_unavailable", "activity cannot be recorded in the audit log right now; nothing is served unrecorded");
    }
    inFlight += 1;
    reportWhenDone(request, reply, grant.requestId, undefined);
    request.lockboxGrant = grant;
  });

  app.all("/*", (request, reply) => {
    const grant = request.lockboxGrant!;
    return reply.from(request.url, {
      rewriteRequestHeaders: (_req, headers) => upstreamHeaders(headers, grant) as typeof headers,
      onError: (r, { error }) => {
        const timeout = (error as { statusCode?: number }).statusCode === 504;
        request.log.warn({ err: error.message }, "lockbox gateway upstream error");
        void refuse(request, r as FastifyReply, timeout ? 504 : 502, timeout ? "upstream_timeout" : "upstream_unavailable", "the upstream API did not answer");
      },
    });
  });

  await verifier.ready();
  const address = await app.listen({ port: options.port, host: options.host ?? "127.0.0.1" });
  return {
    app,
    url: address,
    verifier,
    async close() {
      await app.close();
      await verifier.close();
      const held = verifier.activityStats().pending;
      if (held > 0) app.log.error({ held }, "lockbox gateway stopped with activity it could not record");
    },
  };
}
