import { sql } from "kysely";
import { isPostgres } from "../db/dialect.js";
import { appendAudit } from "../audit/append-audit.js";
import { providerChain } from "../audit/audit-event.js";
import type { Deps } from "../deps.js";
import { newSecret } from "../ids.js";
import { hashPassword } from "./passwords.js";
import { insertUser } from "./manage-users.js";

/**
 * On an empty database, creates the first provider admin. Returns the generated password when
 * none was configured, for the caller to print once; it is stored only as an argon2id hash.
 */
export async function bootstrapAdmin(deps: Deps): Promise<{ email: string; generatedPassword?: string } | undefined> {
  const any = await deps.db.selectFrom("users").select("id").limit(1).executeTakeFirst();
  if (any) return undefined;
  const generatedPassword = deps.config.adminPassword ? undefined : newSecret().slice(0, 24);
  const passwordHash = await hashPassword(deps.config.adminPassword ?? generatedPassword!);
  const now = deps.clock.now();
  const created = await deps.db.transaction().execute(async (trx) => {
    // Re-check inside the transaction: two processes starting together create one admin. On
    // PostgreSQL the advisory lock makes the second wait for the first to commit, then see it.
    if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext('lockbox_bootstrap'))`.execute(trx);
    if (await trx.selectFrom("users").select("id").limit(1).executeTakeFirst()) return false;
    const user = await insertUser(
      trx,
      { email: deps.config.adminEmail, name: "Provider admin", roles: ["provider_admin"], tenantId: null, passwordHash },
      now,
    );
    await appendAudit(trx, {
      chain: providerChain,
      at: now,
      operation: "user.created",
      actor: { type: "system", id: "bootstrap", name: "Lockbox" },
      target: { type: "user", id: user.id },
      details: { email: user.email, roles: user.roles },
    });
    return true;
  });
  return created ? { email: deps.config.adminEmail, generatedPassword } : undefined;
}
