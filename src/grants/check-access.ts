import { isPoolSaturated } from "../db/connect.js";
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
 * A refusal is answered from memory too when the index proves it complete (every grant committed
 * anywhere before this check is in it: grant-sync.ts, at once on SQLite, after a shared round
 * trip on the LISTEN connection on PostgreSQL); otherwise it asks the database (a read, never a
 * write) whether another instance granted access this one has not heard of yet, so instances
 * sharing a database agree and a new grant is never refused.
 */
export function checkAccess(deps: Deps, input: CheckInput): CheckResult | Promise<CheckResult> {
  const { userId, tenantId, service, accessLevel } = input;
  const answer = deps.grants.check(userId, tenantId, service, accessLevel, deps.clock.now());
  // Synchronous on allow: no promise, no database, nothing but the map lookup...
  if (answer.allowed && !deps.grants.isStale(STALE_INDEX_MS)) return answer;
  // ...unless this instance has not heard from the database for a while: then another
  // instance's revoke may be unseen, and an allow must be confirmed there first.
  if (answer.allowed) return confirmAllow(deps, input, answer.requestId!);
  return confirmRefusal(deps, input);
}

/** How long the index may go without a successful sync before an allow is re-checked. */
export const STALE_INDEX_MS = 3000;

/** Never allow on doubt: re-read the grant; if the database cannot answer, refuse. */
async function confirmAllow(deps: Deps, input: CheckInput, requestId: string): Promise<CheckResult> {
  try {
    await deps.grants.refresh(requestId);
  } catch (err) {
    deps.log.warn({ err }, "access check could not confirm a grant; refusing");
    return { allowed: false, reason: "unverified" };
  }
  return deps.grants.check(input.userId, input.tenantId, input.service, input.accessLevel, deps.clock.now());
}

function confirmRefusal(deps: Deps, input: CheckInput): CheckResult | Promise<CheckResult> {
  const proven = deps.grants.provesComplete();
  const fromMemory = () => deps.grants.check(input.userId, input.tenantId, input.service, input.accessLevel, deps.clock.now());
  if (proven === true) return fromMemory();
  if (proven === false) return lookUp(deps, input);
  return proven.then(
    (ok) => (ok ? fromMemory() : lookUp(deps, input)),
    () => lookUp(deps, input),
  );
}

async function lookUp(deps: Deps, input: CheckInput): Promise<CheckResult> {
  const { userId, tenantId, service, accessLevel } = input;
  // Never queue behind writers for a refusal (SPEC §18): with every pool connection taken, the
  // index answers alone. It lags another instance's new grant only by that grant's NOTIFY.
  if (isPoolSaturated(deps.db)) return deps.grants.check(userId, tenantId, service, accessLevel, deps.clock.now());
  // Answer from the index after the read, whether or not this read added the grant: a
  // notification from another instance (grant-sync.ts) may have put it there meanwhile.
  await deps.grants.refreshUser(userId, tenantId, deps.clock.now());
  return deps.grants.check(userId, tenantId, service, accessLevel, deps.clock.now());
}
