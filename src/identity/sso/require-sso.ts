import type { Queryable } from "../../db/schema.js";
import { AppError } from "../../errors.js";
import type { User } from "../roles.js";
import { orgOfTenantId } from "./sso-config.js";

/**
 * With "require SSO", the org's people sign in through its IdP only: a password sign-in is
 * refused with 403 `sso_required` — checked after the password matched, so the answer tells
 * nothing to someone guessing — except for the one break-glass admin, who keeps the org
 * reachable while the IdP is down.
 */
export async function refusePasswordWhenSsoRequired(db: Queryable, user: User): Promise<void> {
  const sso = await db
    .selectFrom("sso_configs")
    .select(["require_sso", "break_glass_email"])
    .where("org", "=", orgOfTenantId(user.tenantId))
    .executeTakeFirst();
  if (!sso || sso.require_sso !== 1) return;
  const adminRole = user.tenantId === null ? "provider_admin" : "global_admin";
  if (sso.break_glass_email === user.email && user.roles.includes(adminRole)) return;
  throw new AppError("sso_required", "your organization signs in through its identity provider: use \"Sign in with your organization\"");
}
