import type { Deps } from "../../deps.js";
import { notFound } from "../../errors.js";
import { recordFactorActivity } from "../account/record-factor-activity.js";
import { auditActor, type Caller } from "../roles.js";
import { passkeyRowsOf, type Passkey, toPasskey } from "./passkey-queries.js";

export async function listPasskeys(deps: Deps, caller: Caller): Promise<Passkey[]> {
  return (await passkeyRowsOf(deps.db, caller.user.id)).map(toPasskey);
}

/**
 * Removes one of the caller's own passkeys (anyone else's id is not found), audited always. The
 * delete is conditional on the owner, so the check and the change cannot drift apart.
 */
export async function removePasskey(deps: Deps, caller: Caller, id: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .deleteFrom("passkeys")
      .where("id", "=", id)
      .where("user_id", "=", caller.user.id)
      .returning(["id", "credential_id", "name"])
      .executeTakeFirst();
    if (!row) throw notFound("passkey");
    await recordFactorActivity(trx, caller.user.tenantId, {
      at: now,
      operation: "user.passkey_removed",
      actor: auditActor(caller),
      target: { type: "user", id: caller.user.id },
      details: { passkeyId: row.id, name: row.name, credentialId: row.credential_id },
    });
  });
}
