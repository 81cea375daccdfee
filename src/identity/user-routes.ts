import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { callerOf } from "../http/authenticate.js";
import { errorResponses, idParams, listOf, pageQuery } from "../http/common-schemas.js";
import { createUserBody, invitationSchema, patchUserBody, userSchema } from "./identity-schemas.js";
import { changeUserRoles, createUser, listUsers } from "./manage-users.js";
import { deactivateUser, reactivateUser } from "./deactivate-user.js";
import { removeUser } from "./remove-user.js";
import type { Role } from "./roles.js";

export function userRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    "/v1/users",
    {
      schema: {
        tags: ["users"],
        body: createUserBody,
        response: { 201: z.object({ user: userSchema, invitation: invitationSchema }), ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await createUser(deps, callerOf(req), { ...req.body, roles: req.body.roles as Role[] })),
  );

  r.get(
    "/v1/users",
    { schema: { tags: ["users"], querystring: z.strictObject(pageQuery), response: { 200: listOf(userSchema), ...errorResponses } } },
    async (req) => listUsers(deps, callerOf(req), req.query),
  );

  r.patch(
    "/v1/users/:id",
    { schema: { tags: ["users"], params: idParams, body: patchUserBody, response: { 200: userSchema, ...errorResponses } } },
    async (req) => changeUserRoles(deps, callerOf(req), req.params.id, req.body.roles as Role[]),
  );

  r.post(
    "/v1/users/:id/deactivate",
    {
      schema: {
        tags: ["users"],
        description:
          "Ends the person's sessions, API tokens and open invitations at once; their approvals of requests still waiting for the customer stop counting. 409 last_admin for the org's last active admin.",
        params: idParams,
        response: { 200: userSchema, ...errorResponses },
      },
    },
    async (req) => deactivateUser(deps, callerOf(req), req.params.id),
  );

  r.post(
    "/v1/users/:id/reactivate",
    {
      schema: {
        tags: ["users"],
        description: "Back to active (or invited, with a fresh invitation to re-send, if the person never signed in).",
        params: idParams,
        response: { 200: userSchema, ...errorResponses },
      },
    },
    async (req) => reactivateUser(deps, callerOf(req), req.params.id),
  );

  r.delete(
    "/v1/users/:id",
    {
      schema: {
        tags: ["users"],
        description: "Removes the person for good: hidden from lists, unable to sign in, the email free to invite again; the audit keeps their history.",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await removeUser(deps, callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
