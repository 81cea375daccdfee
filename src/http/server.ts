import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { auditRoutes } from "../audit/audit-routes.js";
import { serviceRoutes } from "../catalog/service-routes.js";
import type { Deps } from "../deps.js";
import { identityRoutes } from "../identity/identity-routes.js";
import type { LoginThrottle } from "../identity/login-throttle.js";
import { userRoutes } from "../identity/user-routes.js";
import { requestRoutes } from "../requests/request-routes.js";
import { tenantRoutes } from "../tenants/tenant-routes.js";
import { installAuthentication } from "./authenticate.js";
import { installErrorHandler } from "./error-handler.js";
import { invalidField } from "../errors.js";
import { installSecurityHeaders, setSecurityHeaders } from "./security-headers.js";
import { healthRoutes } from "./health-routes.js";
import { metricsRoutes } from "./metrics.js";
import { webRoutes } from "./web-routes.js";
import { webhookRoutes } from "../notify/webhook-routes.js";
import { grantRoutes } from "../grants/grant-routes.js";
import { serviceCredentialRoutes } from "../grants/service-credential-routes.js";
import { jwksRoute } from "../keys/jwks-route.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The HTTP edge: plugins, the error envelope, OpenAPI, and every route behind authentication. */
export async function buildServer(deps: Deps, throttle: LoginThrottle): Promise<FastifyInstance> {
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
      setSecurityHeaders(reply as FastifyReply, request.url, deps.config.publicUrl.startsWith("https:"));
      void (reply as FastifyReply)
        .code(400)
        .header("x-request-id", request.id)
        .send({ error: { code: "invalid_request", message: err.message, requestId: request.id } });
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  // An empty JSON body means "nothing to say" (e.g. `curl -X POST -H 'content-type:
  // application/json' …/approve`): without a body there is nothing to parse, so the content type
  // goes and the route sees no body. Everything else goes through Fastify's own JSON parser
  // (fast, and it refuses prototype-poisoning keys).
  app.addHook("onRequest", (request, _reply, done) => {
    if (request.headers["content-length"] === "0") delete request.headers["content-type"];
    done();
  });
  // Set first thing, so every answer carries it, errors and 404s included.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  // PostgreSQL text cannot hold U+0000 (the query fails: a 500) while SQLite would store it:
  // refuse it in every path parameter, query value and body string, alike on both databases.
  app.addHook("preValidation", (request, _reply, done) => {
    const where = holdsNul(request.params) ? "params" : holdsNul(request.query) ? "querystring" : holdsNul(request.body) ? "body" : undefined;
    done(where ? (invalidField(where, "must not contain a NUL character (U+0000)") as FastifyError) : undefined);
  });

  installSecurityHeaders(app, deps.config);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Lockbox API",
        version: "0.1.0",
        description: "Customer lockbox: time-bound, customer-approved, audited access to customer data.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", description: "Personal API token lbx_…" },
          session: { type: "apiKey", in: "cookie", name: "lockbox_session" },
          service: { type: "http", scheme: "bearer", description: "Service credential lbs_… (access check, activity, revocations)" },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  healthRoutes(app, deps);
  metricsRoutes(app, deps);
  jwksRoute(app, deps);

  await app.register(async (api) => {
    installAuthentication(api, deps);
    identityRoutes(api, deps, throttle);
    userRoutes(api, deps);
    tenantRoutes(api, deps);
    serviceRoutes(api, deps);
    requestRoutes(api, deps);
    grantRoutes(api, deps);
    serviceCredentialRoutes(api, deps);
    auditRoutes(api, deps);
    webhookRoutes(api, deps);
  });
  // The admin center, outside the authenticated API: its page loads before anyone signs in.
  await webRoutes(app);
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
