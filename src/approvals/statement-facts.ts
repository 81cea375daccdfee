import type { RequestRow } from "../requests/access-request.js";
import type { StatementFacts } from "./decision-statement.js";

/** The request's facts a statement names: all fixed when the request was created. */
export function factsOfRow(row: RequestRow): StatementFacts {
  return {
    requestId: row.id,
    tenantId: row.tenant_id,
    requester: { id: row.requester_id, email: row.requester_email },
    ticket: row.ticket,
    reason: row.reason,
    services: JSON.parse(row.services) as string[],
    accessLevel: row.access_level,
  };
}
