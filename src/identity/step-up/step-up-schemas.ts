import { z } from "zod";
import { authenticationResponseSchema } from "../passkeys/passkey-schemas.js";

export const verifyBody = z.strictObject({ response: authenticationResponseSchema });

export const verificationSchema = z.object({
  method: z.enum(["passkey", "totp", "recovery_code"]),
  at: z.string(),
  credentialId: z.string().optional(),
  expiresAt: z.string(),
});

export const providerSettingsSchema = z.object({ requireMfaForDecisions: z.boolean() });
export const providerSettingsPatch = z.strictObject({ requireMfaForDecisions: z.boolean() }).partial();
