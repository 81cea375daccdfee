import { z } from "zod";
import { allRoles } from "../roles.js";

const domain = z
  .string()
  .min(3)
  .max(253)
  .regex(/^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, "must be a domain name like example.com");

export const orgParams = z.strictObject({ org: z.string().min(1).max(64).describe('"provider" or a tenant id') });

export const putSsoBody = z.strictObject({
  issuer: z.string().min(1).max(2048).describe("The IdP's issuer URL; its /.well-known/openid-configuration is read"),
  clientId: z.string().min(1).max(255),
  clientSecret: z.string().min(1).max(1024).optional().describe("Required the first time; stored encrypted and never returned"),
  scopes: z.array(z.string().min(1).max(100).regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "must be a scope token")).max(20).optional(),
  emailDomains: z.array(domain).min(1).max(20),
  roleClaim: z.string().min(1).max(100).nullable().optional().describe("ID token claim holding groups or roles, e.g. groups"),
  roleMap: z
    .record(z.string().min(1).max(200), z.array(z.enum(allRoles as [string, ...string[]])).min(1).max(6))
    .refine((m) => Object.keys(m).length <= 50, "at most 50 entries")
    .optional(),
  jitProvisioning: z.boolean(),
  requireSso: z.boolean(),
  breakGlassEmail: z.email().max(320).nullable().optional(),
});

export const ssoConfigSchema = z.object({
  org: z.string(),
  tenantId: z.string().nullable(),
  issuer: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  emailDomains: z.array(z.string()),
  roleClaim: z.string().nullable(),
  roleMap: z.record(z.string(), z.array(z.string())),
  jitProvisioning: z.boolean(),
  requireSso: z.boolean(),
  breakGlassEmail: z.string().nullable(),
  redirectUri: z.string().describe("Register this redirect URI with the IdP"),
  updatedAt: z.string(),
});

export const startQuery = z.strictObject({
  email: z.email().max(320).optional(),
  org: z.string().min(1).max(64).optional(),
});
