import type { AccessRequestTable } from "../db/schema.js";

/** A person who broke the glass, and when. */
export interface BreakGlassPerson {
  id: string;
  name: string;
  at: string;
}

export interface BreakGlassReview {
  by: { id: string; name: string };
  at: string;
  verdict: "accepted" | "disputed";
  comment: string | null;
}

/**
 * The break-glass marker on a request (SPEC 17): null if nobody broke the glass; `granted`
 * false while only the first person asked; `review` null until the customer reviewed it.
 */
export interface BreakGlassInfo {
  by: BreakGlassPerson[];
  granted: boolean;
  review: BreakGlassReview | null;
}

/** The policy version that approved a request at the customer stage, if one did. */
export interface AutoApproval {
  policyId: string;
  version: number;
  name: string;
}

type Row = Pick<AccessRequestTable, "break_glass" | "break_glass_by" | "review" | "auto_approved_by">;

export function breakGlassOf(row: Row): BreakGlassInfo | null {
  if (!row.break_glass_by) return null;
  return {
    by: JSON.parse(row.break_glass_by) as BreakGlassPerson[],
    granted: row.break_glass === 1,
    review: row.review ? (JSON.parse(row.review) as BreakGlassReview) : null,
  };
}

export function autoApprovalOf(row: Row): AutoApproval | null {
  return row.auto_approved_by ? (JSON.parse(row.auto_approved_by) as AutoApproval) : null;
}
