import { z } from "zod";
import { emailSchema, idSchema, isoTime, nameSchema } from "../http/common-schemas.js";
import { MAX_PASSWORD_LENGTH } from "./passwords.js";
import { allRoles } from "./roles.js";

export const roleSchema = z.enum(allRoles as [string, ...string[]]);
export const userSchema = z.object({
  id: z.string(),
  tenantId: z.string().nullable(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.string()),
  status: z.enum(["invited", "active", "deactivated", "removed"]),
  createdAt: z.string(),
});
export const invitationSchema = z.object({ token: z.string(), url: z.string(), expiresAt: z.string() });
export const sessionSchema = z.object({ user: userSchema, csrfToken: z.string().nullable() });
export const passwordSchema = z.string().min(1).max(MAX_PASSWORD_LENGTH);

export const loginBody = z.strictObject({ email: emailSchema, password: passwordSchema });
export const tokenBody = z.strictObject({
  name: nameSchema,
  expiresInDays: z.number().int().min(1).max(365).optional(),
});
export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
});
export const acceptInvitationBody = z.strictObject({
  token: z.string().min(1).max(200),
  password: passwordSchema,
  name: nameSchema.optional(),
});
export const createUserBody = z.strictObject({
  email: emailSchema,
  name: nameSchema,
  roles: z.array(roleSchema).min(1).max(6),
  tenantId: idSchema.nullable().optional(),
});
export const patchUserBody = z.strictObject({ roles: z.array(roleSchema).min(1).max(6) });
export { isoTime };
