import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import { auditRoutes } from "../audit/audit-routes.js";
import { serviceRoutes } from "../catalog/service-routes.js";
import type { Deps } from "../deps.js";
import { identityRoutes } from "../identity/identity-routes.js";
import type { LoginThrottle } from "../identity/login-throttle.js";
import { userRoutes } from "../identity/user-routes.js";
import { invitationRoutes } from "../identity/invitation-routes.js";
import { ssoRoutes } from "../identity/sso/sso-routes.js";
import { requestRoutes } from "../requests/request-routes.js";
import { workflowRoutes } from "../requests/workflow-routes.js";
import { policyRoutes } from "../policies/policy-routes.js";
import { breakGlassRoutes } from "../break-glass/break-glass-routes.js";
import { tenantRoutes } from "../tenants/tenant-routes.js";
import { installAuthentication } from "./authenticate.js";
import { createEdge } from "./edge.js";
import { installSecurityHeaders, setSecurityHeaders } from "./security-headers.js";
import { healthRoutes } from "./health-routes.js";
import { metricsRoutes } from "./metrics.js";
import { webRoutes } from "./web-routes.js";
import { webhookRoutes } from "../notify/webhook-routes.js";
import { auditSinkRoutes } from "../siem/sink-routes.js";
import { accountRoutes } from "../identity/account/account-routes.js";
import { stepUpRoutes } from "../identity/step-up/step-up-routes.js";
import { grantRoutes } from "../grants/grant-routes.js";
import { approvalRoutes } from "../approvals/approval-routes.js";
import { serviceCredentialRoutes } from "../grants/service-credential-routes.js";
import { jwksRoute } from "../keys/jwks-route.js";

/** The HTTP edge: plugins, the error envelope, OpenAPI, and every route behind authentication. */
export async function buildServer(deps: Deps, throttle: LoginThrottle): Promise<FastifyInstance> {
  const app = createEdge(deps, (reply, url) => setSecurityHeaders(reply, url, deps.config.publicUrl.startsWith("https:")));
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
    // First: its hook must guard every route marked `config: { stepUp }` registered below.
    stepUpRoutes(api, deps);
    identityRoutes(api, deps, throttle);
    userRoutes(api, deps);
    invitationRoutes(api, deps);
    ssoRoutes(api, deps);
    tenantRoutes(api, deps);
    serviceRoutes(api, deps);
    requestRoutes(api, deps);
    workflowRoutes(api, deps);
    policyRoutes(api, deps);
    breakGlassRoutes(api, deps);
    grantRoutes(api, deps);
    approvalRoutes(api, deps);
    serviceCredentialRoutes(api, deps);
    auditRoutes(api, deps);
    webhookRoutes(api, deps);
    auditSinkRoutes(api, deps);
    accountRoutes(api, deps);
  });
  // The admin center, outside the authenticated API: its page loads before anyone signs in.
  await webRoutes(app);
  return app;
}
