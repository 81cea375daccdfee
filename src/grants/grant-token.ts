import { decodeProtectedHeader } from "jose";
import { approvalDigests } from "../approvals/approval-digests.js";
import { appendAudit } from "../audit/append-audit.js";
import { tenantChain } from "../audit/audit-event.js";
import { inTransaction } from "../db/in-transaction.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden } from "../errors.js";
import { auditActor, type Caller } from "../identity/roles.js";
import { signCompactJws } from "../keys/keyring.js";
import { findVisibleRequest } from "../requests/request-queries.js";
import { effectiveStatus } from "../requests/request-lifecycle.js";

/** The audience of every grant token. */
export const GRANT_AUDIENCE = "lockbox";

/** The claims of a grant token (SPEC section 5), exactly these. */
export interface GrantClaims {
  iss: string;
  sub: string;
  aud: typeof GRANT_AUDIENCE;
  tenant: string;
  services: string[];
  access: "read" | "write";
  rid: string;
  ticket: string;
  iat: number;
  nbf: number;
  exp: number;
  /** Tenants with signed approvals: SHA-256 (base64url) of each signed approval statement (SPEC 15). */
  apv?: string[];
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Issues the requester a signed grant token for an approved request. `exp` is accessEndsAt
 * rounded down to the second, so the token never outlives the grant; an early end (revoke,
 * release) reaches offline verifiers through the revocations feed. Each issue is audited in the
 * tenant's chain, in the same transaction that re-checks the request is still approved.
 */
export async function issueGrantToken(deps: Deps, caller: Caller, id: string): Promise<{ token: string; expiresAt: string }> {
  const now = deps.clock.now();
  return inTransaction(deps, async ({ trx }) => {
    const row = await findVisibleRequest(trx, caller.user, id);
    if (row.requester_id !== caller.user.id) throw forbidden("only the requester receives the grant token");
    const status = effectiveStatus(row, now);
    if (status !== "approved" || !row.access_starts_at || !row.access_ends_at) {
      throw new AppError("conflict", `the request is ${status}; a token is issued only while access is granted`, { status });
    }
    const claims: GrantClaims = {
      iss: deps.config.publicUrl,
      sub: row.requester_id,
      aud: GRANT_AUDIENCE,
      tenant: row.tenant_id,
      services: JSON.parse(row.services) as string[],
      access: row.access_level,
      rid: row.id,
      ticket: row.ticket,
      iat: Math.floor(now.getTime() / 1000),
      nbf: seconds(row.access_starts_at),
      exp: seconds(row.access_ends_at),
    };
    const apv = await approvalDigests(trx, row);
    if (apv) claims.apv = apv;
    const token = await signCompactJws(deps.keys, { ...claims }, "JWT");
    await appendAudit(trx, {
      chain: tenantChain(row.tenant_id),
      at: now,
      operation: "request.token_issued",
      actor: auditActor(caller),
      target: { type: "request", id: row.id },
      requestId: row.id,
      details: { requestId: row.id, ticket: row.ticket, kid: decodeProtectedHeader(token).kid ?? null, expiresAt: row.access_ends_at, ...(apv ? { apv } : {}) },
    });
    return { token, expiresAt: row.access_ends_at };
  });
}
