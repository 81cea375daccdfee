/**
 * The decision statement's types and constants (SPEC 15), free of Node APIs so the admin center
 * can import them too; building, hashing and checking statements is in decision-statement.ts.
 */

export const STATEMENT_TYPE = "lockbox.decision/v1";
/** A statement is accepted for this long after `issuedAt` (SPEC 15). */
export const STATEMENT_MAX_AGE_MINUTES = 5;
/** Clock skew tolerated between the server that issued a statement and the one that checks it. */
export const STATEMENT_SKEW_SECONDS = 30;

/**
 * "extend" and "extend_deny" decide an extension (SPEC 17: "same signing rules"); their statement
 * also names `extensionId`, and its `grantedMinutes` is the access's new total with the extension.
 */
export type SignedDecisionKind = "approve" | "deny" | "revoke" | "extend" | "extend_deny";

export const SIGNED_DECISION_KINDS = ["approve", "deny", "revoke", "extend", "extend_deny"] as const;

export const isExtensionDecision = (kind: string): kind is "extend" | "extend_deny" => kind === "extend" || kind === "extend_deny";

/**
 * What an approver signs: the decision and the exact terms it applies to. Every field is a string
 * or an integer (no floats), so its RFC 8785 form is the same in every implementation.
 */
export interface DecisionStatement {
  type: typeof STATEMENT_TYPE;
  decision: SignedDecisionKind;
  requestId: string;
  tenantId: string;
  requester: { id: string; email: string };
  ticket: string;
  /** Lower-case hex SHA-256 of the request's reason (UTF-8): the reason itself stays out of the signature prompt. */
  reasonSha256: string;
  /** Sorted, so the same set always signs the same bytes. */
  services: string[];
  accessLevel: "read" | "write";
  /** For an extension decision: the access's total minutes once it is approved (the grant plus every approved extension plus this one). */
  grantedMinutes: number;
  /** Only on "extend" and "extend_deny": the extension decided. */
  extensionId?: string;
  approver: { id: string; email: string };
  issuedAt: string;
}

/** The WebAuthn assertion of a signed decision, base64url fields as the browser returns them. */
export interface DecisionAssertion {
  credentialId: string;
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
}
