import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField } from "../errors.js";
import { type Caller, isTenantApprover } from "../identity/roles.js";
import { findVisibleRequest } from "../requests/request-queries.js";
import { buildStatement, canonicalStatement, type DecisionStatement, type SignedDecisionKind, statementDigest } from "./decision-statement.js";
import { isExtensionDecision } from "./decision-types.js";
import { extensionTotalMinutes, pendingExtension } from "./extension-statement.js";
import { factsOfRow } from "./statement-facts.js";

/**
 * The statement the caller would sign to decide this request now, its canonical form and the
 * WebAuthn challenge. Only the tenant's approvers ask (others could not use it); the requester
 * never decides their own request. An approval's minutes default to what the grant would be now
 * (what the manager or earlier approvers left, else what was requested); deny and revoke name
 * those minutes too, so the statement always says what was refused or taken back.
 */
export async function getDecisionStatement(
  deps: Deps,
  caller: Caller,
  id: string,
  query: { decision: SignedDecisionKind; grantedMinutes?: number | undefined; extensionId?: string | undefined },
): Promise<{ statement: DecisionStatement; canonical: string; challenge: string }> {
  const row = await findVisibleRequest(deps.db, caller.user, id);
  if (!isTenantApprover(caller.user, row.tenant_id)) throw forbidden("only the tenant's approvers sign decisions");
  if (row.requester_id === caller.user.id) throw new AppError("self_approval", "nobody decides their own request");
  if (isExtensionDecision(query.decision)) {
    if (query.grantedMinutes !== undefined) throw invalidField("grantedMinutes", "an extension's total is fixed by its minutes");
    const ext = await pendingExtension(deps.db, row, query.extensionId);
    const total = await extensionTotalMinutes(deps.db, row, ext);
    const statement = buildStatement(factsOfRow(row), query.decision, total, caller.user, deps.clock.now(), ext.id);
    return { statement, canonical: canonicalStatement(statement), challenge: statementDigest(statement) };
  }
  if (query.extensionId !== undefined) throw invalidField("extensionId", "only an extension decision names an extension");
  const current = row.granted_minutes ?? row.requested_minutes;
  if (query.grantedMinutes !== undefined && query.decision !== "approve") throw invalidField("grantedMinutes", "only an approval chooses minutes");
  if (query.grantedMinutes !== undefined && query.grantedMinutes > row.requested_minutes) {
    throw invalidField("grantedMinutes", `must be at most the ${row.requested_minutes} minutes requested`);
  }
  const statement = buildStatement(factsOfRow(row), query.decision, query.grantedMinutes ?? current, caller.user, deps.clock.now());
  return { statement, canonical: canonicalStatement(statement), challenge: statementDigest(statement) };
}
