import { z } from "zod";
import { signedDecisionFields } from "../approvals/signed-decision-schemas.js";
import { commentSchema, idSchema, isoTime, optionalBody, pageQuery } from "../http/common-schemas.js";
import { extensionStatuses, requestStatuses } from "./request-lifecycle.js";
import { reasonTypes } from "./reason-types.js";

const person = z.object({ id: z.string(), name: z.string() });

export const questionSchema = z.object({
  id: z.string(),
  text: z.string(),
  askedBy: person,
  askedAt: z.string(),
  answer: z.string().nullable(),
  answeredBy: person.nullable(),
  answeredAt: z.string().nullable(),
});

export const extensionSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  status: z.enum(extensionStatuses),
  minutes: z.number().int(),
  reason: z.string(),
  requestedBy: person,
  requestedAt: z.string(),
  requiredApprovals: z.number().int(),
  approvals: z.array(z.object({ by: person, at: z.string(), comment: z.string().nullable() })),
  decision: z.object({ by: person, at: z.string(), decision: z.enum(["approve", "deny"]), comment: z.string().nullable() }).nullable(),
  accessEndsAt: z.string().nullable(),
});
const decision = z.object({
  by: person,
  at: z.string(),
  decision: z.enum(["approve", "reject", "deny"]),
  comment: z.string().nullable(),
});

export const accessRequestSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  status: z.enum(requestStatuses),
  ticket: z.string(),
  reason: z.string(),
  services: z.array(z.string()),
  accessLevel: z.enum(["read", "write"]),
  requestedMinutes: z.number().int(),
  grantedMinutes: z.number().int().nullable(),
  requester: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  createdAt: z.string(),
  decideBy: z.string(),
  requiredApprovals: z.number().int().nullable(),
  managerDecision: decision.nullable(),
  approvals: z.array(z.object({ by: person, at: z.string(), comment: z.string().nullable() })),
  customerDecision: decision.nullable(),
  accessStartsAt: z.string().nullable(),
  accessEndsAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  endedBy: person.nullable(),
  endReason: z.string().nullable(),
  endComment: z.string().nullable(),
  reasonType: z.enum(reasonTypes),
  /** The scheduled start the requester asked for (SPEC 17); the window opens at max(startAt, final approval). */
  startAt: z.string().nullable(),
  questions: z.array(questionSchema),
  extensions: z.array(extensionSchema),
  breakGlass: z
    .object({
      by: z.array(z.object({ id: z.string(), name: z.string(), at: z.string() })),
      granted: z.boolean(),
      review: z
        .object({ by: person, at: z.string(), verdict: z.enum(["accepted", "disputed"]), comment: z.string().nullable() })
        .nullable(),
    })
    .nullable(),
  autoApprovedBy: z.object({ policyId: z.string(), version: z.number().int(), name: z.string() }).nullable(),
});

export const serviceKeySchema = z.string().min(1).max(64);

export const createRequestBody = z.strictObject({
  tenantId: idSchema,
  ticket: z.string().trim().min(1).max(64).optional().describe("the support case number; required for customer_initiated_support"),
  reasonType: z.enum(reasonTypes).optional().describe("why the provider asks; default customer_initiated_support"),
  startAt: isoTime.optional().describe("scheduled start: not in the past, at most 7 days ahead"),
  reason: z.string().trim().min(1).max(2000),
  services: z.array(serviceKeySchema).min(1).max(50),
  accessLevel: z.enum(["read", "write"]),
  requestedMinutes: z.number().int().min(1).max(24 * 60).describe("at most the tenant's maxAccessMinutes"),
});

export const listRequestsQuery = z.strictObject({
  status: z.enum(requestStatuses).optional(),
  tenantId: idSchema.optional(),
  ticket: z.string().min(1).max(64).optional(),
  reasonType: z.enum(reasonTypes).optional(),
  requester: idSchema.optional(),
  createdAfter: isoTime.optional(),
  createdBefore: isoTime.optional(),
  ...pageQuery,
});

export const approveBody = optionalBody({
  comment: commentSchema.optional(),
  grantedMinutes: z.number().int().min(1).max(24 * 60).optional(),
  ...signedDecisionFields,
});
export const commentBody = optionalBody({ comment: commentSchema.optional() });
/** Deny and revoke: a comment, and the passkey signature a tenant with signed approvals requires. */
export const signedCommentBody = optionalBody({ comment: commentSchema.optional(), ...signedDecisionFields });
