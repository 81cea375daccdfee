import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams, listOf } from "../http/common-schemas.js";
import { invitationSchema } from "./identity-schemas.js";
import { listInvitations, resendInvitation, revokeInvitation } from "./manage-invitations.js";

const openInvitationSchema = z.object({
  id: z.string(),
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
});

/** Managing open invitations: provider_admin for staff, a tenant's global_admin for its people. */
export function invitationRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/v1/invitations",
    {
      schema: {
        tags: ["users"],
        description: "Invitations not yet accepted nor revoked, of the people the caller manages; expired ones included, to re-send.",
        response: { 200: listOf(openInvitationSchema), ...errorResponses },
      },
    },
    async (req) => ({ items: await listInvitations(deps, callerOf(req)), nextCursor: null }),
  );

  r.delete(
    "/v1/invitations/:id",
    { schema: { tags: ["users"], description: "Revokes an invitation: its link stops working.", params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await revokeInvitation(deps, callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    "/v1/invitations/:id/resend",
    {
      schema: {
        tags: ["users"],
        description: "A new one-time link, valid 72 hours; the old link stops working.",
        params: idParams,
        response: { 200: invitationSchema, ...errorResponses },
      },
    },
    async (req) => resendInvitation(deps, callerOf(req), req.params.id),
  );
}
