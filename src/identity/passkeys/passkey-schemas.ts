import { z } from "zod";
import { nameSchema } from "../../http/common-schemas.js";

/**
 * The browser library's JSON (`startRegistration` / `startAuthentication` results). Objects are
 * not strict: browsers and library versions add members, which the verifier ignores; every
 * string is bounded and base64url fields are checked as such.
 */
const b64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+={0,2}$/, "must be base64url");
const extensions = z.record(z.string().max(64), z.unknown()).refine((r) => Object.keys(r).length <= 16, "too many members");

export const registrationResponseSchema = z.object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: b64url(8192),
    attestationObject: b64url(32768),
    authenticatorData: b64url(16384).optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64url(16384).optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: extensions,
});

export const authenticationResponseSchema = z.object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: b64url(8192),
    authenticatorData: b64url(16384),
    signature: b64url(8192),
    userHandle: b64url(512).optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: extensions,
});

export const registerPasskeyBody = z.strictObject({ response: registrationResponseSchema, name: nameSchema.optional() });
export const passkeySignInBody = z.strictObject({ response: authenticationResponseSchema });

export const passkeySchema = z.object({
  id: z.string(),
  name: z.string(),
  credentialId: z.string(),
  algorithm: z.number().int(),
  transports: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

/** Options exactly as @simplewebauthn/server makes them; documented, not re-validated. */
export const optionsSchema = z.object({ options: z.record(z.string(), z.unknown()) });

export type RegistrationResponseBody = z.infer<typeof registrationResponseSchema>;
export type AuthenticationResponseBody = z.infer<typeof authenticationResponseSchema>;
