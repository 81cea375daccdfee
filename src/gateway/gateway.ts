import replyFrom from "@fastify/reply-from";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { createVerifier, GrantError, type VerifiedGrant, type Verifier } from "../sdk/index.js";

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
  /** Fastify logger level; default "info". */
  logLevel?: string;
  /** For tests: the current time. */
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
    lockboxGrant?: VerifiedGrant;
    lockboxRefused?: { requestId: string; code: string };
    /** When the call arrived: the time its activity event carries. */
    lockboxAt?: Date;
  }
}

const readMethods = new Set(["GET", "HEAD", "OPTIONS"]);

function refuse(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).header("content-type", "application/json").send(JSON.stringify({ error: { code, message } }));
}

/**
 * A reverse proxy in front of one internal admin API that belongs to one service. Every call must
 * carry `Authorization: Lockbox <grant token>` and `X-Lockbox-Tenant`; the token is verified
 * offline (signature, time, tenant, service, method → access level, revocations) before the body
 * is read, and only allowed calls reach the upstream, without the grant token. Every call made
 * with a genuine token, allowed or refused, is reported as operator activity (method, path,
 * status) to the tenant's audit log, batched.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const server = options.server.replace(/\/$/, "");
  const verifier = createVerifier({
    jwksUrl: `${server}/.well-known/jwks.json`,
    server,
    token: options.token,
    issuer: options.issuer ?? false,
    revocationPollMs: options.revocationPollMs ?? 1000,
    ...(options.now ? { now: options.now } : {}),
    onError: (err) => app.log.warn({ err: err.message }, "lockbox gateway background error"),
  });
  const app = Fastify({
    logger: { level: options.logLevel ?? "info", redact: ["req.headers.authorization"] },
    bodyLimit: 50 * 1024 * 1024,
  });
  await app.register(replyFrom, { base: options.upstream, disableRequestLogging: true });
  // Bodies pass through untouched as streams; nothing is parsed or buffered.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, payload, done) => done(null, payload));

  const now = options.now ?? (() => new Date());
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    request.lockboxAt = now();
    const header = request.headers.authorization ?? "";
    const [scheme, token] = header.split(" ", 2);
    if (scheme?.toLowerCase() !== "lockbox" || !token) {
      return refuse(reply, 401, "unauthenticated", "send Authorization: Lockbox <grant token>");
    }
    const tenant = request.headers["x-lockbox-tenant"];
    if (typeof tenant !== "string" || tenant.length === 0 || tenant.length > 64) {
      return refuse(reply, 403, "tenant_required", "send X-Lockbox-Tenant: <tenant id>");
    }
    const access = readMethods.has(request.method) ? "read" : "write";
    try {
      request.lockboxGrant = await verifier.verify(token, { tenant, service: options.service, access });
    } catch (err) {
      if (!(err instanceof GrantError)) throw err;
      if (err.requestId) request.lockboxRefused = { requestId: err.requestId, code: err.code };
      return refuse(reply, err.status, err.code, err.message);
    }
  });

  app.addHook("onResponse", async (request, reply) => {
    const requestId = request.lockboxGrant?.requestId ?? request.lockboxRefused?.requestId;
    if (!requestId) return;
    const path = request.url.slice(0, 400);
    verifier.reportActivity({
      requestId,
      operation: request.method.toLowerCase(),
      target: `${request.method} ${path}`,
      at: request.lockboxAt ?? now(),
      ...(request.lockboxRefused ? { refused: request.lockboxRefused.code } : {}),
      details: {
        method: request.method,
        path,
        status: reply.statusCode,
        service: options.service,
      },
    });
  });

  app.all("/*", (request, reply) => {
    const grant = request.lockboxGrant!;
    return reply.from(request.url, {
      rewriteRequestHeaders: (_req, headers) => {
        const { authorization: _drop, ...rest } = headers;
        return { ...rest, "x-lockbox-user": grant.userId, "x-lockbox-request": grant.requestId, "x-lockbox-ticket": encodeURIComponent(grant.ticket) };
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
    },
  };
}
