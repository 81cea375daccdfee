import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
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
import { installSecurityHeaders } from "./security-headers.js";
import { healthRoutes } from "./health-routes.js";
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
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  // An empty JSON body means "nothing to say" (e.g. `curl -X POST -H 'content-type:
  // application/json' …/approve`); anything else goes through Fastify's safe JSON parser, which
  // refuses prototype-poisoning keys.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString();
    // Only a body that starts with whitespace can be blank; the common case costs one compare.
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === "")) return done(null, null);
    return parseJson(request, text, done);
  });
  // Set first thing, so every answer carries it, errors and 404s included.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
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
