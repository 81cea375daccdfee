import type { ApprovalPolicyTable } from "../db/schema.js";
import { type ReasonType, reasonTypes } from "../requests/reason-types.js";
import { globMatch } from "./glob-match.js";

export { type ReasonType, reasonTypes };

/**
 * A tenant's auto-approval policy (SPEC 17) and the one rule deciding whether a request fits it.
 * Pure: the admin center's dry-run and the approval path use the same `requestFitsPolicy`.
 */

export interface PolicyRules {
  name: string;
  services: string[];
  accessLevel: "read" | "write";
  maxMinutes: number;
  reasonTypes: ReasonType[] | null;
  ticketPattern: string | null;
  /** UTC hours [from, to); from > to wraps past midnight (22 → 6 is the night). */
  hoursUtc: { from: number; to: number } | null;
}

export interface ApprovalPolicy extends PolicyRules {
  id: string;
  tenantId: string;
  version: number;
  createdBy: { id: string; name: string };
  createdAt: string;
}

/** What of a request a policy looks at. `minutes` is the duration that would be granted. */
export interface RequestFacts {
  services: readonly string[];
  accessLevel: "read" | "write";
  minutes: number;
  reasonType: string;
  ticket: string;
  /** When the customer stage starts (the manager's approval). */
  at: Date;
}

/** A policy covers a request only if every one of its conditions holds; "write" covers "read". */
export function requestFitsPolicy(policy: PolicyRules, r: RequestFacts): boolean {
  if (!r.services.every((s) => policy.services.includes(s))) return false;
  if (r.accessLevel === "write" && policy.accessLevel !== "write") return false;
  if (r.minutes > policy.maxMinutes) return false;
  if (policy.reasonTypes && !policy.reasonTypes.includes(r.reasonType as ReasonType)) return false;
  if (policy.ticketPattern !== null && !globMatch(policy.ticketPattern, r.ticket)) return false;
  if (policy.hoursUtc) {
    const h = r.at.getUTCHours();
    const { from, to } = policy.hoursUtc;
    const inside = from < to ? h >= from && h < to : h >= from || h < to;
    if (!inside) return false;
  }
  return true;
}

export function toPolicy(row: ApprovalPolicyTable): ApprovalPolicy {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    version: row.version,
    name: row.name,
    services: JSON.parse(row.services) as string[],
    accessLevel: row.access_level,
    maxMinutes: row.max_minutes,
    reasonTypes: row.reason_types === null ? null : (JSON.parse(row.reason_types) as ReasonType[]),
    ticketPattern: row.ticket_pattern,
    hoursUtc: row.hours_from === null || row.hours_to === null ? null : { from: row.hours_from, to: row.hours_to },
    createdBy: JSON.parse(row.created_by) as { id: string; name: string },
    createdAt: row.created_at,
  };
}

/** The full content of a version, as the audit records it. */
export function policyContent(p: ApprovalPolicy) {
  return {
    policyId: p.id,
    version: p.version,
    name: p.name,
    services: p.services,
    accessLevel: p.accessLevel,
    maxMinutes: p.maxMinutes,
    reasonTypes: p.reasonTypes,
    ticketPattern: p.ticketPattern,
    hoursUtc: p.hoursUtc,
  };
}
