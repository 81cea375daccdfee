/**
 * Why the provider asks for access (SPEC 17), shown to the customer and in its audit. Only a
 * customer-initiated support request must name the customer's support case (`ticket`).
 */
export const reasonTypes = ["customer_initiated_support", "provider_initiated_review", "production_incident", "legal_request"] as const;
export type ReasonType = (typeof reasonTypes)[number];
export const defaultReasonType: ReasonType = "customer_initiated_support";

export const reasonTypeLabels: Record<ReasonType, string> = {
  customer_initiated_support: "Customer-initiated support",
  provider_initiated_review: "Provider-initiated review",
  production_incident: "Production incident",
  legal_request: "Legal request",
};

/** The furthest ahead a scheduled start may be (SPEC 17). */
export const MAX_START_AHEAD_MINUTES = 7 * 24 * 60;
