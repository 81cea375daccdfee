import { setTimeout as sleep } from "node:timers/promises";
import { recordOrgActivity } from "../audit/record-org-activity.js";
import type { UserTable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import type { LoginThrottle } from "./login-throttle.js";
import { verifyPassword } from "./passwords.js";
import type { User } from "./roles.js";
import { createSession } from "./sessions.js";
import { refusePasswordWhenSsoRequired } from "./sso/require-sso.js";
import { findUserRowsByEmail, toUser } from "./user-queries.js";

/**
 * Accounts one sign-in may try. An email is unique within an org only, so one address may hold
 * an account in several orgs; each costs an argon2 verification, so their number is bounded.
 */
export const MAX_ACCOUNTS_PER_EMAIL = 5;

/**
 * Sign-in by email and password. When the address holds accounts in several orgs, the password
 * picks the account: the active accounts are tried in a fixed order — the provider's first, then
 * the oldest — and the first whose password matches signs in (so one person with the same
 * password in two orgs lands in the older account). Nothing in the answer says how many accounts
 * the address holds.
 */
export async function signIn(
  deps: Deps,
  throttle: LoginThrottle,
  input: { email: string; password: string; ip: string },
): Promise<{ user: User; cookie: string; csrfToken: string }> {
  const email = input.email.toLowerCase();
  const keys = [`account:${email}`, `ip:${input.ip}`];
  // Counted before the first await: parallel guesses cannot all pass the check before one fails.
  await sleep(throttle.attempt(keys, "too many failed sign-ins; try again later"));

  const rows = await findUserRowsByEmail(deps.db, email, MAX_ACCOUNTS_PER_EMAIL);
  const row = await firstMatching(rows, input.password);
  if (!row) {
    await recordFailedSignIn(deps, rows, email, input.ip);
    // One message for an unknown account and a wrong password: no account enumeration.
    throw new AppError("unauthenticated", "wrong email or password");
  }
  throttle.succeed(keys[0]!, keys.slice(1));
  const user = toUser(row);
  await refusePasswordWhenSsoRequired(deps.db, user);
  const now = deps.clock.now();
  const session = await deps.db.transaction().execute(async (trx) => {
    await recordOrgActivity(trx, user.tenantId, {
      at: now,
      operation: "user.signed_in",
      actor: { type: "user", id: user.id, name: user.name, ip: input.ip },
      target: { type: "user", id: user.id },
      details: { method: "password" },
    });
    return createSession(trx, now, user.id);
  });
  return { user, ...session };
}

async function firstMatching(rows: UserTable[], password: string): Promise<UserTable | undefined> {
  const active = rows.filter((r) => r.status === "active" && r.password_hash);
  // Hash anyway without an active account, so a miss takes as long as a wrong password.
  if (active.length === 0) await verifyPassword(null, password);
  for (const row of active) if (await verifyPassword(row.password_hash, password)) return row;
  return undefined;
}

/**
 * A failed sign-in of an existing account lands in its org's audit (a tenant's only while its
 * auditing is on; the provider's always), with the address it came from and never the password.
 * When the address holds accounts in several orgs nobody can tell whose attempt it was: it is
 * recorded against the provider's account (the operator's own chain loses nothing) but in no
 * tenant's chain, which would otherwise learn of attempts on another org's person, with their IP.
 * Unknown accounts are not recorded in any chain, so nobody can fill a chain by guessing names;
 * they are logged at info level only.
 */
async function recordFailedSignIn(deps: Deps, rows: UserTable[], email: string, ip: string): Promise<void> {
  const witnessed = rows.length === 1 ? rows : rows.filter((r) => r.tenant_id === null);
  if (witnessed.length === 0) {
    const what = rows.length === 0 ? "an unknown account" : `an address held in ${rows.length} orgs`;
    deps.log.info({ email, ip }, `sign-in failed for ${what}`);
    return;
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    for (const user of witnessed.map(toUser)) {
      await recordOrgActivity(trx, user.tenantId, {
        at: now,
        operation: "user.sign_in_failed",
        actor: { type: "user", id: user.id, name: user.name, ip },
        target: { type: "user", id: user.id },
        details: { reason: user.status === "active" ? "wrong_password" : "not_activated" },
      });
    }
  });
}
