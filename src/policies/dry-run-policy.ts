import type { Deps } from "../deps.js";
import type { Caller } from "../identity/roles.js";
import { effectiveStatus } from "../requests/request-lifecycle.js";
import { type PolicyRules, requestFitsPolicy } from "./approval-policy.js";
import { tenantForPolicies } from "./policy-access.js";
import type { PolicyBody } from "./policy-schemas.js";
import { requestFacts } from "./request-facts.js";

export const DRY_RUN_REQUESTS = 100;

/**
 * "Which of the last 100 requests would this policy have approved?" Reads only: nothing is
 * written or audited. Each request is judged as of its manager approval (or its filing, if no
 * manager approved it), so hours apply the way they would have.
 */
export async function dryRunPolicy(deps: Deps, caller: Caller, tenantId: string, body: PolicyBody) {
  await tenantForPolicies(deps.db, caller, tenantId, "manage");
  const now = deps.clock.now();
  const rules: PolicyRules = {
    name: body.name,
    services: body.services,
    accessLevel: body.accessLevel,
    maxMinutes: body.maxMinutes,
    reasonTypes: body.reasonTypes ?? null,
    ticketPattern: body.ticketPattern ?? null,
    hoursUtc: body.hoursUtc ?? null,
  };
  const rows = await deps.db
    .selectFrom("access_requests")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(DRY_RUN_REQUESTS)
    .execute();
  const matched = rows.flatMap((row) => {
    const manager = row.manager_decision ? (JSON.parse(row.manager_decision) as { at: string }) : null;
    const facts = requestFacts(row, new Date(manager?.at ?? row.created_at));
    if (!requestFitsPolicy(rules, facts)) return [];
    return [
      {
        id: row.id,
        ticket: row.ticket,
        status: effectiveStatus(row, now),
        services: [...facts.services],
        accessLevel: facts.accessLevel,
        minutes: facts.minutes,
        reasonType: facts.reasonType,
        createdAt: row.created_at,
      },
    ];
  });
  return { considered: rows.length, matched };
}
