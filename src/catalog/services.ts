import { appendAudit } from "../audit/append-audit.js";
import { providerChain } from "../audit/audit-event.js";
import type { Queryable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden } from "../errors.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";

/** A provider service that holds customer content; requests name these by key. */
export interface Service {
  key: string;
  name: string;
  description: string;
}

export async function listServices(db: Queryable): Promise<Service[]> {
  return db.selectFrom("services").select(["key", "name", "description"]).orderBy("key").execute();
}

export async function createService(deps: Deps, caller: Caller, input: Service): Promise<Service> {
  if (!isProviderStaff(caller.user) || !hasRole(caller.user, "provider_admin")) throw forbidden();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom("services").select("key").where("key", "=", input.key).executeTakeFirst();
    if (exists) throw new AppError("conflict", `service ${input.key} already exists`, [{ field: "key" }]);
    await trx.insertInto("services").values({ ...input, created_at: now.toISOString() }).execute();
    await appendAudit(trx, {
      chain: providerChain,
      at: now,
      operation: "service.created",
      actor: auditActor(caller),
      target: { type: "service", id: input.key },
      details: { name: input.name },
    });
    return input;
  });
}
