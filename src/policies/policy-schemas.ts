import { z } from "zod";
import { reasonTypes } from "./approval-policy.js";

export const MAX_POLICIES_PER_TENANT = 50;
export const MAX_TICKET_PATTERN = 64;

/** A policy as the customer writes it. Every field is bounded; the pattern is a glob. */
export const policyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  services: z.array(z.string().min(1).max(64)).min(1).max(50),
  accessLevel: z.enum(["read", "write"]).describe('"write" also covers read requests'),
  maxMinutes: z.number().int().min(1).max(24 * 60).describe("at most the tenant's maxAccessMinutes"),
  reasonTypes: z.array(z.enum(reasonTypes)).min(1).max(reasonTypes.length).nullish(),
  ticketPattern: z
    .string()
    .min(1)
    .max(MAX_TICKET_PATTERN)
    .regex(/^[\x21-\x7e]+$/, "printable characters without spaces; * and ? are wildcards")
    .nullish()
    .describe("a glob: * any characters, ? one character (never a regular expression)"),
  hoursUtc: z
    .strictObject({ from: z.number().int().min(0).max(23), to: z.number().int().min(0).max(24) })
    .refine((h) => h.from !== h.to, { message: "from and to must differ" })
    .nullish()
    .describe("UTC hours [from, to); from > to wraps past midnight"),
});
export type PolicyBody = z.infer<typeof policyBody>;

export const policySchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  version: z.number().int(),
  name: z.string(),
  services: z.array(z.string()),
  accessLevel: z.enum(["read", "write"]),
  maxMinutes: z.number().int(),
  reasonTypes: z.array(z.string()).nullable(),
  ticketPattern: z.string().nullable(),
  hoursUtc: z.object({ from: z.number().int(), to: z.number().int() }).nullable(),
  createdBy: z.object({ id: z.string(), name: z.string() }),
  createdAt: z.string(),
});

export const dryRunSchema = z.object({
  considered: z.number().int(),
  matched: z.array(
    z.object({
      id: z.string(),
      ticket: z.string(),
      status: z.string(),
      services: z.array(z.string()),
      accessLevel: z.string(),
      minutes: z.number().int(),
      reasonType: z.string(),
      createdAt: z.string(),
    }),
  ),
});

export const policyParams = z.strictObject({ id: z.string().min(1).max(64), policyId: z.string().min(1).max(64) });
