import { recordOrgActivity } from "../audit/record-org-activity.js";
import type { Db } from "../db/schema.js";
import { isPoolSaturated } from "../db/connect.js";
import type { Deps } from "../deps.js";
import { forbidden, notFound } from "../errors.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";

/** Service credentials look nothing like personal tokens (lbx_), so neither is mistaken for the other. */
export const SERVICE_TOKEN_PREFIX = "lbs_";

/** A data service or gateway: may call the access check, activity and revocations, nothing else. */
export interface ServiceCaller {
  id: string;
  name: string;
  ip?: string;
}

export interface ServiceCredentialInfo {
  id: string;
  name: string;
  createdAt: string;
}

/** How long an instance trusts a credential lookup; a deletion on another instance lands within this. */
const CACHE_MS = 10_000;
const CACHE_MAX = 1000;

/**
 * Resolves service credentials on the hot path (every access check) from memory. A hit is
 * trusted for CACHE_MS; a deletion in this process evicts at once. Misses are not cached, so a
 * new credential works immediately.
 */
export class ServiceCredentialCache {
  private readonly hits = new Map<string, { caller: ServiceCaller; at: number }>();

  constructor(private readonly db: Db) {}

  async find(token: string): Promise<ServiceCaller | undefined> {
    const hit = this.cached(token);
    if (hit) return hit;
    const hash = sha256Hex(token);
    const row = await this.db.selectFrom("service_credentials").select(["id", "name"]).where("token_hash", "=", hash).executeTakeFirst();
    if (!row) {
      this.hits.delete(token);
      return undefined;
    }
    if (this.hits.size >= CACHE_MAX) this.hits.clear();
    const caller = { id: row.id, name: row.name };
    this.hits.set(token, { caller, at: Date.now() });
    return caller;
  }

  /** The caller from memory when a lookup is still trusted, without a promise (the machine port's hook). */
  cached(token: string): ServiceCaller | undefined {
    // Keyed by the token itself, not its hash, so a hit costs no hashing; the map lives only in
    // this process's memory, which already sees every token it is sent.
    const hit = this.hits.get(token);
    // While every pool connection is taken by writers, an expired hit still answers: the access
    // check must not queue behind them (SPEC §18); the re-read happens once the pool frees up.
    if (hit && (Date.now() - hit.at < CACHE_MS || isPoolSaturated(this.db))) return hit.caller;
    return undefined;
  }

  forget(id: string): void {
    for (const [token, hit] of this.hits) if (hit.caller.id === id) this.hits.delete(token);
  }
}

function assertProviderAdmin(caller: Caller): void {
  if (!isProviderStaff(caller.user) || !hasRole(caller.user, "provider_admin")) {
    throw forbidden("only a provider admin manages service credentials");
  }
}

/** The token is returned once; only its SHA-256 is stored. */
export async function createServiceCredential(
  deps: Deps,
  caller: Caller,
  input: { name: string },
): Promise<{ id: string; name: string; token: string; createdAt: string }> {
  assertProviderAdmin(caller);
  const now = deps.clock.now();
  const id = newId();
  const token = newSecret(SERVICE_TOKEN_PREFIX);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("service_credentials")
      .values({ id, name: input.name, token_hash: sha256Hex(token), created_at: now.toISOString(), created_by: caller.user.id })
      .execute();
    await recordOrgActivity(trx, null, {
      at: now,
      operation: "service_credential.created",
      actor: auditActor(caller),
      target: { type: "service_credential", id },
      details: { name: input.name },
    });
  });
  return { id, name: input.name, token, createdAt: now.toISOString() };
}

export async function listServiceCredentials(deps: Deps, caller: Caller): Promise<ServiceCredentialInfo[]> {
  assertProviderAdmin(caller);
  const rows = await deps.db.selectFrom("service_credentials").select(["id", "name", "created_at"]).orderBy("created_at", "desc").execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}

export async function deleteServiceCredential(deps: Deps, caller: Caller, id: string): Promise<void> {
  assertProviderAdmin(caller);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom("service_credentials").select(["id", "name"]).where("id", "=", id).executeTakeFirst();
    if (!row) throw notFound("service credential");
    await trx.deleteFrom("service_credentials").where("id", "=", id).execute();
    await recordOrgActivity(trx, null, {
      at: now,
      operation: "service_credential.deleted",
      actor: auditActor(caller),
      target: { type: "service_credential", id },
      details: { name: row.name },
    });
  });
  deps.serviceCredentials.forget(id);
}
