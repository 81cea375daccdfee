import { addMinutes } from "../clock.js";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import { recordOrgActivity } from "../audit/record-org-activity.js";
import { auditActor, type Caller, type User } from "./roles.js";
import { toUser } from "./user-queries.js";

export const API_TOKEN_PREFIX = "lbx_";

export interface ApiTokenInfo {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
}

/**
 * Personal API tokens act as their owner and nobody else: they are created by the signed-in user
 * for itself, so no provider role can mint one for a tenant user. The secret is shown once and
 * only its SHA-256 is kept.
 */
export async function createApiToken(
  deps: Deps,
  caller: Caller,
  input: { name: string; expiresInDays?: number },
): Promise<{ id: string; token: string; expiresAt: string | null }> {
  const token = newSecret(API_TOKEN_PREFIX);
  const now = deps.clock.now();
  const id = newId();
  const expiresAt = input.expiresInDays ? addMinutes(now, input.expiresInDays * 24 * 60).toISOString() : null;
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("api_tokens")
      .values({
        id,
        user_id: caller.user.id,
        name: input.name,
        token_hash: sha256Hex(token),
        created_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    await recordOrgActivity(trx, caller.user.tenantId, {
      at: now,
      operation: "token.created",
      actor: auditActor(caller),
      target: { type: "token", id },
      details: { name: input.name, expiresAt },
    });
  });
  return { id, token, expiresAt };
}

export async function listApiTokens(deps: Deps, caller: Caller): Promise<ApiTokenInfo[]> {
  const rows = await deps.db
    .selectFrom("api_tokens")
    .select(["id", "name", "created_at", "expires_at"])
    .where("user_id", "=", caller.user.id)
    .orderBy("created_at", "desc")
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, expiresAt: r.expires_at }));
}

export async function deleteApiToken(deps: Deps, caller: Caller, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const result = await trx
      .deleteFrom("api_tokens")
      .where("id", "=", id)
      .where("user_id", "=", caller.user.id)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound("token");
    await recordOrgActivity(trx, caller.user.tenantId, {
      at: deps.clock.now(),
      operation: "token.deleted",
      actor: auditActor(caller),
      target: { type: "token", id },
    });
  });
}

export async function findUserByApiToken(deps: Deps, token: string): Promise<User | undefined> {
  const now = deps.clock.now().toISOString();
  const row = await deps.db
    .selectFrom("api_tokens")
    .innerJoin("users", "users.id", "api_tokens.user_id")
    .selectAll("users")
    .where("api_tokens.token_hash", "=", sha256Hex(token))
    .where((eb) => eb.or([eb("api_tokens.expires_at", "is", null), eb("api_tokens.expires_at", ">", now)]))
    .where("users.status", "=", "active")
    .executeTakeFirst();
  return row && toUser(row);
}
