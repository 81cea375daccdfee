import { appendAudit } from "../audit/append-audit.js";
import { providerChain, tenantChain } from "../audit/audit-event.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, invalidField, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import { sealWebhookSecret, webhookSecretKey } from "../notify/webhook-secrets.js";
import { assertSinkUrl, checkSinkTls, MAX_SINKS_PER_OWNER, type SinkFormat, type SinkTls, type SinkType } from "./sink-config.js";
import { type AuditSink, type SinkOwner, type SinkStatus, sinkOwnedBy, toAuditSink } from "./sink-queries.js";

export interface CreateSinkInput {
  type: SinkType;
  url: string;
  token?: string;
  format: SinkFormat;
  tls?: SinkTls;
}

/**
 * A tenant's sinks belong to its global admins alone (they carry the tenant's whole audit trail
 * off the system): another tenant gets 404, the provider 403 — it never manages the customer's
 * settings. The provider's sinks belong to provider admins.
 */
function authorize(caller: Caller, owner: SinkOwner): void {
  const user = caller.user;
  if (owner === null) {
    if (!isProviderStaff(user) || !hasRole(user, "provider_admin")) throw forbidden("only a provider admin manages the provider's audit sinks");
    return;
  }
  if (isProviderStaff(user)) throw forbidden("only the tenant's global admin manages its audit sinks");
  if (user.tenantId !== owner) throw notFound("tenant");
  if (!hasRole(user, "global_admin")) throw forbidden("only the tenant's global admin manages its audit sinks");
}

const chainOf = (owner: SinkOwner) => (owner === null ? providerChain : tenantChain(owner));

/** The token is bound to the sink id as associated data, in its own namespace ("audit-sink:"). */
export const sinkTokenAad = (sinkId: string) => `audit-sink:${sinkId}`;

/**
 * Adds a sink. It starts at the beginning of the chain (cursor 0), so the SIEM receives every
 * event the chain holds, then follows new ones. Recorded in the owner's chain whatever the
 * tenant's "record admin activity" setting: where the audit trail goes is itself audit-worthy.
 */
export async function createAuditSink(deps: Deps, caller: Caller, owner: SinkOwner, input: CreateSinkInput): Promise<AuditSink> {
  authorize(caller, owner);
  const url = await assertSinkUrl(input.type, input.url, deps.config.webhookAllowPrivate);
  const tls = checkSinkTls(input.tls, url);
  if (input.type === "splunk_hec" && !input.token) throw invalidField("token", "a splunk_hec sink needs its HEC token");
  const now = deps.clock.now();
  const id = newId();
  const row = {
    id,
    tenant_id: owner,
    chain: chainOf(owner),
    type: input.type,
    url: url.toString(),
    format: input.format,
    token: input.token ? sealWebhookSecret(webhookSecretKey(deps.config), sinkTokenAad(id), input.token) : null,
    tls: tls ? JSON.stringify(tls) : null,
    created_by: caller.user.id,
    created_at: now.toISOString(),
    deleted_at: null,
    cursor_seq: 0,
    last_delivered_at: null,
    last_error: null,
    last_error_at: null,
    failures: 0,
    failures_total: 0,
    failing_since: null,
    outage_reported_at: null,
    next_attempt_at: null,
    lease_until: null,
    lease_token: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    const count = await trx
      .selectFrom("audit_sinks")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where(sinkOwnedBy(owner))
      .where("deleted_at", "is", null)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_SINKS_PER_OWNER) throw new AppError("conflict", `at most ${MAX_SINKS_PER_OWNER} audit sinks; delete one first`);
    await trx.insertInto("audit_sinks").values(row).execute();
    await appendAudit(trx, {
      chain: row.chain,
      at: now,
      operation: "audit_sink.created",
      actor: auditActor(caller),
      target: { type: "audit_sink", id },
      details: { type: row.type, url: row.url, format: row.format },
    });
  });
  return toAuditSink(row);
}

export async function listAuditSinks(deps: Deps, caller: Caller, owner: SinkOwner): Promise<AuditSink[]> {
  authorize(caller, owner);
  const rows = await deps.db
    .selectFrom("audit_sinks")
    .selectAll()
    .where(sinkOwnedBy(owner))
    .where("deleted_at", "is", null)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toAuditSink);
}

async function findOwnedSink(deps: Deps, owner: SinkOwner, id: string) {
  const row = await deps.db
    .selectFrom("audit_sinks")
    .selectAll()
    .where("id", "=", id)
    .where(sinkOwnedBy(owner))
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  if (!row) throw notFound("audit sink");
  return row;
}

/** Stops a sink. The row stays (deleted_at) so its audit events keep pointing at something. */
export async function deleteAuditSink(deps: Deps, caller: Caller, owner: SinkOwner, id: string): Promise<void> {
  authorize(caller, owner);
  const row = await findOwnedSink(deps, owner, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const changed = await trx
      .updateTable("audit_sinks")
      .set({ deleted_at: now.toISOString(), token: null })
      .where("id", "=", row.id)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    if (changed.numUpdatedRows !== 1n) throw notFound("audit sink");
    await appendAudit(trx, {
      chain: row.chain,
      at: now,
      operation: "audit_sink.deleted",
      actor: auditActor(caller),
      target: { type: "audit_sink", id: row.id },
      details: { type: row.type, url: row.url, lastDeliveredSeq: Number(row.cursor_seq) },
    });
  });
}

export async function getAuditSinkStatus(deps: Deps, caller: Caller, owner: SinkOwner, id: string): Promise<SinkStatus> {
  authorize(caller, owner);
  const row = await findOwnedSink(deps, owner, id);
  const head = await deps.db.selectFrom("audit_heads").select("seq").where("chain", "=", row.chain).executeTakeFirst();
  const headSeq = Number(head?.seq ?? 0);
  const cursor = Number(row.cursor_seq);
  return {
    id: row.id,
    lastDeliveredSeq: cursor,
    lag: Math.max(0, headSeq - cursor),
    headSeq,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    lastDeliveredAt: row.last_delivered_at,
    failures: Number(row.failures),
    nextAttemptAt: row.next_attempt_at,
  };
}
