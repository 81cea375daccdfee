import { setTimeout as sleep } from "node:timers/promises";
import { recordOrgActivity } from "../audit/record-org-activity.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import type { LoginThrottle } from "./login-throttle.js";
import { verifyPassword } from "./passwords.js";
import type { User } from "./roles.js";
import { createSession } from "./sessions.js";
import { findUserRowByEmail, toUser } from "./user-queries.js";

export async function signIn(
  deps: Deps,
  throttle: LoginThrottle,
  input: { email: string; password: string; ip: string },
): Promise<{ user: User; cookie: string; csrfToken: string }> {
  const email = input.email.toLowerCase();
  const keys = [`account:${email}`, `ip:${input.ip}`];
  throttle.refuseIfLimited(keys, "too many failed sign-ins; try again later");
  await sleep(throttle.delayMs(keys));

  const row = await findUserRowByEmail(deps.db, email);
  const ok = await verifyPassword(row?.status === "active" ? row.password_hash : null, input.password);
  if (!row || !ok) {
    throttle.fail(keys);
    await recordFailedSignIn(deps, row ? toUser(row) : undefined, email, input.ip);
    // One message for an unknown account and a wrong password: no account enumeration.
    throw new AppError("unauthenticated", "wrong email or password");
  }
  throttle.succeed(keys[0]!);
  const user = toUser(row);
  const now = deps.clock.now();
  const session = await deps.db.transaction().execute(async (trx) => {
    await recordOrgActivity(trx, user.tenantId, {
      at: now,
      operation: "user.signed_in",
      actor: { type: "user", id: user.id, name: user.name, ip: input.ip },
      target: { type: "user", id: user.id },
    });
    return createSession(trx, now, user.id);
  });
  return { user, ...session };
}

/**
 * A failed sign-in of an existing account lands in its org's audit (a tenant's only while its
 * auditing is on; the provider's always), with the address it came from and never the password.
 * Unknown accounts are not recorded in any chain, so nobody can fill a chain by guessing names;
 * they are logged at info level only.
 */
async function recordFailedSignIn(deps: Deps, user: User | undefined, email: string, ip: string): Promise<void> {
  if (!user) {
    deps.log.info({ email, ip }, "sign-in failed for an unknown account");
    return;
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute((trx) =>
    recordOrgActivity(trx, user.tenantId, {
      at: now,
      operation: "user.sign_in_failed",
      actor: { type: "user", id: user.id, name: user.name, ip },
      target: { type: "user", id: user.id },
      details: { reason: user.status === "active" ? "wrong_password" : "not_activated" },
    }),
  );
}
