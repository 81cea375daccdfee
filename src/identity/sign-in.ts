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
  const retryMs = throttle.retryAfterMs(keys);
  if (retryMs > 0) {
    throw new AppError("too_many_attempts", "too many failed sign-ins; try again later", {
      retryAfterSeconds: Math.ceil(retryMs / 1000),
    });
  }
  await sleep(throttle.delayMs(keys));

  const row = await findUserRowByEmail(deps.db, email);
  const ok = await verifyPassword(row?.status === "active" ? row.password_hash : null, input.password);
  if (!row || !ok) {
    throttle.fail(keys);
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
