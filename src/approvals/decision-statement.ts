import { createHash } from "node:crypto";
import canonicalizeModule from "canonicalize";
import { type DecisionStatement, type SignedDecisionKind, STATEMENT_MAX_AGE_MINUTES, STATEMENT_SKEW_SECONDS, STATEMENT_TYPE } from "./decision-types.js";

// CommonJS exporting the function itself (see audit-event.ts); the runtime value is the function.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export { STATEMENT_TYPE, STATEMENT_MAX_AGE_MINUTES, STATEMENT_SKEW_SECONDS } from "./decision-types.js";
export type { DecisionAssertion, DecisionStatement, SignedDecisionKind } from "./decision-types.js";

export const sha256 = (data: string | Uint8Array): Buffer => createHash("sha256").update(data).digest();

export function reasonSha256(reason: string): string {
  return sha256(Buffer.from(reason, "utf8")).toString("hex");
}

const STATEMENT_KEYS = ["accessLevel", "approver", "decision", "grantedMinutes", "issuedAt", "reasonSha256", "requestId", "requester", "services", "tenantId", "ticket", "type"];
const isPerson = (p: unknown) =>
  !!p && typeof p === "object" && Object.keys(p).length === 2 && typeof (p as { id?: unknown }).id === "string" && typeof (p as { email?: unknown }).email === "string";

/**
 * RFC 8785 canonical JSON: the bytes the challenge is the hash of. A statement of exactly the
 * expected shape takes a fast path — keys written in their sorted (UTF-16) order, values by
 * JSON.stringify, which is what RFC 8785 prescribes for strings and integers — because offline
 * verification hashes one statement per decision and the general canonicalizer costs more than
 * the hash. Anything else (an extra member, a float) goes through the general one.
 */
export function canonicalStatement(statement: DecisionStatement): string {
  const s = statement as unknown as Record<string, unknown>;
  const keys = Object.keys(s).sort();
  if (
    keys.length === STATEMENT_KEYS.length &&
    keys.every((k, i) => k === STATEMENT_KEYS[i]) &&
    isPerson(s.approver) &&
    isPerson(s.requester) &&
    Number.isSafeInteger(s.grantedMinutes) &&
    Array.isArray(s.services) &&
    s.services.every((v) => typeof v === "string") &&
    ["accessLevel", "decision", "issuedAt", "reasonSha256", "requestId", "tenantId", "ticket", "type"].every((k) => typeof s[k] === "string")
  ) {
    const j = JSON.stringify;
    const person = (p: { id: string; email: string }) => `{"email":${j(p.email)},"id":${j(p.id)}}`;
    return (
      `{"accessLevel":${j(statement.accessLevel)},"approver":${person(statement.approver)},"decision":${j(statement.decision)},` +
      `"grantedMinutes":${statement.grantedMinutes},"issuedAt":${j(statement.issuedAt)},"reasonSha256":${j(statement.reasonSha256)},` +
      `"requestId":${j(statement.requestId)},"requester":${person(statement.requester)},"services":${j(statement.services)},` +
      `"tenantId":${j(statement.tenantId)},"ticket":${j(statement.ticket)},"type":${j(statement.type)}}`
    );
  }
  const text = canonicalize(statement);
  if (text === undefined) throw new Error("the statement cannot be canonicalized");
  return text;
}

/** base64url(SHA-256(canonical)): the WebAuthn challenge, and the `apv` entry of a grant token. */
export function statementDigest(statement: DecisionStatement): string {
  return sha256(canonicalStatement(statement)).toString("base64url");
}

export interface StatementFacts {
  requestId: string;
  tenantId: string;
  requester: { id: string; email: string };
  ticket: string;
  reason: string;
  services: readonly string[];
  accessLevel: "read" | "write";
}

export function buildStatement(
  facts: StatementFacts,
  decision: SignedDecisionKind,
  grantedMinutes: number,
  approver: { id: string; email: string },
  issuedAt: Date,
  extensionId?: string,
): DecisionStatement {
  return {
    type: STATEMENT_TYPE,
    decision,
    requestId: facts.requestId,
    tenantId: facts.tenantId,
    requester: { id: facts.requester.id, email: facts.requester.email },
    ticket: facts.ticket,
    reasonSha256: reasonSha256(facts.reason),
    services: [...facts.services].sort(),
    accessLevel: facts.accessLevel,
    grantedMinutes,
    ...(extensionId !== undefined ? { extensionId } : {}),
    approver: { id: approver.id, email: approver.email },
    issuedAt: issuedAt.toISOString(),
  };
}

/**
 * The first field in which `signed` differs from `expected`, ignoring `issuedAt` (checked on its
 * own, by age); undefined when they are the same terms.
 */
export function differingField(signed: DecisionStatement, expected: DecisionStatement): string | undefined {
  const a = { ...signed, issuedAt: "" };
  const b = { ...expected, issuedAt: "" };
  for (const key of Object.keys(b) as (keyof DecisionStatement)[]) {
    if (canonicalize(a[key]) !== canonicalize(b[key])) return key;
  }
  for (const key of Object.keys(a)) if (!(key in b)) return key;
  return undefined;
}

/** Whether a statement issued at `issuedAt` may still be used at `at` (and was not issued in the future). */
export function statementAgeProblem(issuedAt: string, at: Date): string | undefined {
  const issued = Date.parse(issuedAt);
  if (!Number.isFinite(issued) || new Date(issued).toISOString() !== issuedAt) return "issuedAt is not an ISO 8601 UTC time";
  if (issued - at.getTime() > STATEMENT_SKEW_SECONDS * 1000) return "the statement was issued after the decision";
  if (at.getTime() - issued > STATEMENT_MAX_AGE_MINUTES * 60_000) {
    return `the statement is older than ${STATEMENT_MAX_AGE_MINUTES} minutes; fetch a new one and sign again`;
  }
  return undefined;
}
