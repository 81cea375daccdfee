import type { Tx } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { sha256Hex } from "../ids.js";
import { createInvitation, type Invitation } from "./invitations.js";
import { administeredOrg } from "./manage-users.js";
import { recordPeopleChange } from "./managed-user.js";
import { auditActor, type Caller } from "./roles.js";

export interface OpenInvitation {
  id: string;
  userId: string;
  email: string;
  name: string;
  createdAt: string;
  expiresAt: string;
}

/** At most this many open invitations are listed; an org with more has other problems. */
const MAX_LISTED = 500;

export const INVITATION_INVALID_MESSAGE = "This invitation link has already been used, was revoked or has expired.";

/**
 * Invitations not yet accepted nor revoked, of people the caller manages (same rule as users).
 * Expired ones are listed too (their `expiresAt` is past) so that the admin can re-send them.
 */
export async function listInvitations(deps: Deps, caller: Caller): Promise<OpenInvitation[]> {
  const org = administeredOrg(caller);
  const rows = await deps.db
    .selectFrom("invitations as i")
    .innerJoin("users as u", "u.id", "i.user_id")
    .select(["i.id", "i.user_id", "u.email", "u.name", "i.created_at", "i.expires_at"])
    .where((eb) => (org === null ? eb("u.tenant_id", "is", null) : eb("u.tenant_id", "=", org)))
    .where("u.status", "=", "invited")
    .where("i.accepted_at", "is", null)
    .orderBy("i.created_at")
    .orderBy("i.id")
    .limit(MAX_LISTED)
    .execute();
  return rows.map((r) => ({ id: r.id, userId: r.user_id, email: r.email, name: r.name, createdAt: r.created_at, expiresAt: r.expires_at }));
}

async function findManagedInvitation(trx: Tx, caller: Caller, id: string) {
  const org = administeredOrg(caller);
  const row = await trx
    .selectFrom("invitations as i")
    .innerJoin("users as u", "u.id", "i.user_id")
    .select(["i.id", "i.user_id", "u.email", "u.tenant_id"])
    .where("i.id", "=", id)
    .where("i.accepted_at", "is", null)
    .where("u.status", "=", "invited")
    .executeTakeFirst();
  // Another org's invitation is as unknown as a made-up id.
  if (!row || row.tenant_id !== org) throw notFound("invitation");
  return { org, row };
}

/** Revokes an open invitation: its link stops working; the person stays "invited". */
export async function revokeInvitation(deps: Deps, caller: Caller, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const { org, row } = await findManagedInvitation(trx, caller, id);
    const gone = await trx.deleteFrom("invitations").where("id", "=", id).where("accepted_at", "is", null).executeTakeFirst();
    if (gone.numDeletedRows === 0n) throw notFound("invitation");
    await recordPeopleChange(trx, org, {
      at: deps.clock.now(),
      operation: "invitation.revoked",
      actor: auditActor(caller),
      target: { type: "invitation", id },
      details: { userId: row.user_id, email: row.email },
    });
  });
}

/** A new link (valid 72 h from now) replaces the old one, which stops working in the same commit. */
export async function resendInvitation(deps: Deps, caller: Caller, id: string): Promise<Invitation> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const { org, row } = await findManagedInvitation(trx, caller, id);
    // Compare-and-set: of a resend racing an accept, only one finds the invitation still open.
    const gone = await trx.deleteFrom("invitations").where("id", "=", id).where("accepted_at", "is", null).executeTakeFirst();
    if (gone.numDeletedRows === 0n) throw notFound("invitation");
    const invitation = await createInvitation(trx, deps, row.user_id, now);
    await recordPeopleChange(trx, org, {
      at: now,
      operation: "invitation.resent",
      actor: auditActor(caller),
      target: { type: "invitation", id },
      details: { userId: row.user_id, email: row.email, expiresAt: invitation.expiresAt },
    });
    return invitation;
  });
}

/**
 * What the accept page shows before anyone types a password: whose invitation this is, or that
 * the link is dead. Answers the same `invitation_invalid` for unknown, used, revoked and expired
 * tokens, so it tells a guesser nothing more than accepting would.
 */
export async function checkInvitation(deps: Deps, token: string): Promise<{ email: string; name: string; expiresAt: string }> {
  const row = await deps.db
    .selectFrom("invitations as i")
    .innerJoin("users as u", "u.id", "i.user_id")
    .select(["u.email", "u.name", "i.expires_at"])
    .where("i.token_hash", "=", sha256Hex(token))
    .where("i.accepted_at", "is", null)
    .where("i.expires_at", ">", deps.clock.now().toISOString())
    .where("u.status", "=", "invited")
    .executeTakeFirst();
  if (!row) throw new AppError("invitation_invalid", INVITATION_INVALID_MESSAGE);
  return { email: row.email, name: row.name, expiresAt: row.expires_at };
}
