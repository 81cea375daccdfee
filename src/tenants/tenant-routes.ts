import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { emailSchema, errorResponses, idParams, listOf, nameSchema } from "../http/common-schemas.js";
import { invitationSchema } from "../identity/identity-schemas.js";
import { createTenant } from "./create-tenant.js";
import { findVisibleTenant, getTenantSettings, listTenants, toTenant } from "./tenant-queries.js";
import { MAX_BREAK_GLASS_MINUTES, MAX_NOTIFICATION_EMAILS, MAX_REQUIRED_APPROVALS } from "./tenant-settings.js";
import { updateTenantSettings } from "./update-tenant-settings.js";

const tenantSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });
const serviceKey = z.string().min(1).max(64);
const settingsSchema = z.object({
  auditingEnabled: z.boolean(),
  lockboxEnabled: z.boolean(),
  approvalWindowMinutes: z.number().int(),
  maxAccessMinutes: z.number().int(),
  requiredApprovals: z.number().int(),
  protectedServices: z.union([z.literal("all"), z.array(z.string())]),
  notificationEmails: z.array(z.string()),
  requireDecisionComment: z.boolean(),
  requireMfaForDecisions: z.boolean(),
  breakGlass: z.object({ allowed: z.boolean(), maxMinutes: z.number().int() }),
  requireSignedApprovals: z.boolean(),
});
const settingsPatch = z
  .strictObject({
    auditingEnabled: z.boolean(),
    lockboxEnabled: z.boolean(),
    approvalWindowMinutes: z.number().int().min(1).max(100_000),
    maxAccessMinutes: z.number().int().min(1).max(100_000),
    requiredApprovals: z.number().int().min(1).max(MAX_REQUIRED_APPROVALS),
    protectedServices: z.union([z.literal("all"), z.array(serviceKey).max(100)]),
    notificationEmails: z.array(emailSchema).max(MAX_NOTIFICATION_EMAILS),
    requireDecisionComment: z.boolean(),
    requireMfaForDecisions: z.boolean(),
    breakGlass: z.strictObject({ allowed: z.boolean(), maxMinutes: z.number().int().min(1).max(MAX_BREAK_GLASS_MINUTES) }),
    requireSignedApprovals: z.boolean().describe("customer decisions must carry a passkey signature (409 not_enough_passkeys unless requiredApprovals approvers have a passkey)"),
  })
  .partial();

export function tenantRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    "/v1/tenants",
    {
      schema: {
        tags: ["tenants"],
        body: z.strictObject({ name: nameSchema, adminEmail: emailSchema }),
        response: { 201: z.object({ tenant: tenantSchema, invitation: invitationSchema }), ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createTenant(deps, callerOf(req), req.body)),
  );

  r.get("/v1/tenants", { schema: { tags: ["tenants"], response: { 200: listOf(tenantSchema), ...errorResponses } } }, async (req) => ({
    items: await listTenants(deps.db, callerOf(req).user),
    nextCursor: null,
  }));

  r.get(
    "/v1/tenants/:id",
    { schema: { tags: ["tenants"], params: idParams, response: { 200: tenantSchema, ...errorResponses } } },
    async (req) => toTenant(await findVisibleTenant(deps.db, callerOf(req).user, req.params.id)),
  );

  r.get(
    "/v1/tenants/:id/settings",
    { schema: { tags: ["tenants"], params: idParams, response: { 200: settingsSchema, ...errorResponses } } },
    async (req) => getTenantSettings(deps.db, callerOf(req).user, req.params.id),
  );

  r.patch(
    "/v1/tenants/:id/settings",
    { config: { stepUp: true }, schema: { tags: ["tenants"], params: idParams, body: settingsPatch, response: { 200: settingsSchema, ...errorResponses } } },
    async (req) => updateTenantSettings(deps, callerOf(req), req.params.id, req.body),
  );
}
