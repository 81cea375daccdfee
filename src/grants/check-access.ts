import type { Deps } from "../deps.js";
import type { AccessLevel, CheckResult } from "./grant-index.js";

export interface CheckInput {
  userId: string;
  tenantId: string;
  service: string;
  accessLevel: AccessLevel;
}

/**
 * The hot path. An allow is answered from memory with no database access at all; `now` is read
 * here, at answer time, so nothing is allowed past accessEndsAt even if the sweeper has not run.
 * A refusal first asks the database (a read, never a write) whether another instance granted
 * access this one has not heard of yet, so instances sharing a database agree.
 */
export function checkAccess(deps: Deps, input: CheckInput): CheckResult | Promise<CheckResult> {
  const { userId, tenantId, service, accessLevel } = input;
  const answer = deps.grants.check(userId, tenantId, service, accessLevel, deps.clock.now());
  // Synchronous on allow: no promise, no database, nothing but the map lookup.
  if (answer.allowed) return answer;
  return confirmRefusal(deps, input, answer);
}

async function confirmRefusal(deps: Deps, input: CheckInput, answer: CheckResult): Promise<CheckResult> {
  const { userId, tenantId, service, accessLevel } = input;
  if (await deps.grants.refreshUser(userId, tenantId, deps.clock.now())) {
    return deps.grants.check(userId, tenantId, service, accessLevel, deps.clock.now());
  }
  return answer;
}
