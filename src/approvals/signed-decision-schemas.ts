import { z } from "zod";
import { STATEMENT_TYPE } from "./decision-statement.js";
import { SIGNED_DECISION_KINDS } from "./decision-types.js";
import { auditEventSchema } from "../audit/audit-event-schema.js";

const b64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, "must be base64url without padding");
const person = z.strictObject({ id: z.string().min(1).max(64), email: z.string().min(1).max(254) });

/** The statement exactly as GET /v1/requests/{id}/statement gave it; strict, so nothing rides along unsigned. */
export const decisionStatementSchema = z.strictObject({
  type: z.literal(STATEMENT_TYPE),
  decision: z.enum(SIGNED_DECISION_KINDS),
  requestId: z.string().min(1).max(64),
  tenantId: z.string().min(1).max(64),
  requester: person,
  ticket: z.string().min(1).max(64),
  reasonSha256: z.string().regex(/^[0-9a-f]{64}$/, "lower-case hex SHA-256"),
  services: z.array(z.string().min(1).max(64)).min(1).max(50),
  accessLevel: z.enum(["read", "write"]),
  // An extended grant's total may reach twice the tenant's maxAccessMinutes (SPEC 17).
  grantedMinutes: z.number().int().min(1).max(200_000),
  extensionId: z.string().min(1).max(64).optional(),
  approver: person,
  issuedAt: z.string().max(40),
});

export const decisionAssertionSchema = z.strictObject({
  credentialId: b64url(1400),
  authenticatorData: b64url(16384),
  clientDataJSON: b64url(8192),
  signature: b64url(8192),
});

/** The fields a signed decision adds to approve, deny and revoke bodies (SPEC 15). */
export const signedDecisionFields = {
  statement: decisionStatementSchema.optional().describe("the statement from GET /v1/requests/{id}/statement, unchanged"),
  assertion: decisionAssertionSchema
    .optional()
    .describe("the passkey's assertion (base64url) over challenge = base64url(SHA-256(canonical statement)), user verification required"),
};

export const statementQuery = z.strictObject({
  decision: z.enum(SIGNED_DECISION_KINDS),
  extensionId: z.string().min(1).max(64).optional().describe("for extend and extend_deny: the extension decided"),
  grantedMinutes: z.coerce.number().int().min(1).max(24 * 60).optional(),
});

export const statementResponse = z.object({
  statement: decisionStatementSchema,
  canonical: z.string().describe("RFC 8785 canonical JSON of the statement"),
  challenge: z.string().describe("base64url(SHA-256(canonical)): the WebAuthn challenge"),
});


export const evidenceResponse = z.object({
  request: z.object({
    id: z.string(),
    tenantId: z.string(),
    status: z.string(),
    requiredApprovals: z.number().int().nullable(),
    grantedMinutes: z.number().int().nullable(),
  }),
  decisions: z.array(
    z.object({
      seq: z.number().int(),
      at: z.string(),
      statement: decisionStatementSchema,
      assertion: decisionAssertionSchema,
      passkey: z.object({ credentialId: z.string(), jwk: z.record(z.string(), z.unknown()), algorithm: z.number().int(), registeredSeq: z.number().int().nullable() }),
    }),
  ),
  chain: z.object({
    name: z.string(),
    events: z.array(auditEventSchema).describe("request.created, the signed decisions, and the registration (and any removal) of each passkey used"),
  }),
  checkpoint: z.string().nullable().describe("the chain's latest signed checkpoint (C2SP signed note), to prove the events with /v1/audit/proof/inclusion"),
});

export type SignedDecisionBody = { statement?: z.infer<typeof decisionStatementSchema>; assertion?: z.infer<typeof decisionAssertionSchema> };
