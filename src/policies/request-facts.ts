import type { AccessRequestTable } from "../db/schema.js";
import type { RequestFacts } from "./approval-policy.js";

type FactsRow = Pick<AccessRequestTable, "services" | "access_level" | "granted_minutes" | "requested_minutes" | "ticket" | "reason_type">;

/** What a policy judges of a stored request, as of `at` (when its customer stage starts). */
export function requestFacts(row: FactsRow, at: Date): RequestFacts {
  return {
    services: JSON.parse(row.services) as string[],
    accessLevel: row.access_level,
    minutes: row.granted_minutes ?? row.requested_minutes,
    reasonType: row.reason_type,
    ticket: row.ticket,
    at,
  };
}
