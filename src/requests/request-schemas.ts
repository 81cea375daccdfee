import { z } from "zod";
import { commentSchema, idSchema, isoTime, optionalBody, pageQuery } from "../http/common-schemas.js";
import { requestStatuses } from "./request-lifecycle.js";

const person = z.object({ id: z.string(), name: z.string() });
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
});

export const serviceKeySchema = z.string().min(1).max(64);

export const createRequestBody = z.strictObject({
  tenantId: idSchema,
  ticket: z.string().trim().min(1).max(64).describe("the support case number"),
  reason: z.string().trim().min(1).max(2000),
  services: z.array(serviceKeySchema).min(1).max(50),
  accessLevel: z.enum(["read", "write"]),
  requestedMinutes: z.number().int().min(1).max(24 * 60).describe("at most the tenant's maxAccessMinutes"),
});

export const listRequestsQuery = z.strictObject({
  status: z.enum(requestStatuses).optional(),
  tenantId: idSchema.optional(),
  ticket: z.string().min(1).max(64).optional(),
  requester: idSchema.optional(),
  createdAfter: isoTime.optional(),
  createdBefore: isoTime.optional(),
  ...pageQuery,
});

export const approveBody = optionalBody({
  comment: commentSchema.optional(),
  grantedMinutes: z.number().int().min(1).max(24 * 60).optional(),
});
export const commentBody = optionalBody({ comment: commentSchema.optional() });
