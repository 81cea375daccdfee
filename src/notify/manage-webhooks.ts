import type { ExpressionBuilder } from "kysely";
import { recordOrgActivity } from "../audit/record-org-activity.js";
import type { Database } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { AppError, forbidden, notFound } from "../errors.js";
import { newId, newSecret } from "../ids.js";
import { auditActor, type Caller, hasRole, isProviderStaff } from "../identity/roles.js";
import { decodeCursor, type Page, toPage } from "../pagination.js";
import { assertWebhookUrl } from "./ssrf-guard.js";
import { sealWebhookSecret, webhookSecretKey } from "./webhook-secrets.js";
import { toWebhook, type Webhook } from "./webhook-queries.js";
import { requestStepOperations } from "../requests/request-lifecycle.js";

/** Whose endpoints: a tenant's (`tenantId`) or the provider's (`null`). */
export type WebhookOwner = string | null;

export const MAX_WEBHOOKS_PER_OWNER = 20;

/** Request events a webhook may subscribe to: the audit operations of request steps. */
export const webhookEventTypes = requestStepOperations;

/**
 * A tenant's endpoints belong to its global admins alone: another tenant gets 404 (ids cannot be
 * probed) and the provider 403 (it never manages the customer's settings). The provider's
 * endpoints belong to provider admins.
 */
function authorize(caller: Caller, owner: WebhookOwner): void {
  const user = caller.user;
  if (owner === null) {
    if (!isProviderStaff(user) || !hasRole(user, "provider_admin")) throw forbidden("only a provider admin manages the provider's webhooks");
    return;
  }
  if (isProviderStaff(user)) throw forbidden("only the tenant's global admin manages its webhooks");
  if (user.tenantId !== owner) throw notFound("tenant");
  if (!hasRole(user, "global_admin")) throw forbidden("only the tenant's global admin manages its webhooks");
}

const ownedBy = (owner: WebhookOwner) => (eb: ExpressionBuilder<Database, "webhooks">) =>
  owner === null ? eb("tenant_id", "is", null) : eb("tenant_id", "=", owner);

/**
 * Registers an endpoint and returns its signing secret, this once. The secret is stored
 * encrypted, not hashed: the dispatcher needs it to sign every delivery (see webhook-secrets.ts).
 */
export async function registerWebhook(
  deps: Deps,
  caller: Caller,
  owner: WebhookOwner,
  input: { url: string; events?: string[] },
): Promise<Webhook & { secret: string }> {
  authorize(caller, owner);
  const url = await assertWebhookUrl(input.url, deps.config.webhookAllowPrivate);
  const now = deps.clock.now();
  const secret = newSecret("whsec_");
  const events = input.events ? [...new Set(input.events)] : null;
  const id = newId();
  const row = {
    id,
    tenant_id: owner,
    url: url.toString(),
    events: events ? JSON.stringify(events) : null,
    secret: sealWebhookSecret(webhookSecretKey(deps.config), id, secret),
    created_by: caller.user.id,
    created_at: now.toISOString(),
    disabled_at: null,
    disabled_reason: null,
    deleted_at: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    const count = await trx
      .selectFrom("webhooks")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where(ownedBy(owner))
      .where("deleted_at", "is", null)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_WEBHOOKS_PER_OWNER) {
      throw new AppError("conflict", `at most ${MAX_WEBHOOKS_PER_OWNER} webhooks; delete one first`);
    }
    await trx.insertInto("webhooks").values(row).execute();
    await recordOrgActivity(trx, owner, {
      at: now,
      operation: "webhook.created",
      actor: auditActor(caller),
      target: { type: "webhook", id: row.id },
      details: { url: row.url, events },
    });
  });
  return { ...toWebhook(row), secret };
}

export async function listWebhooks(deps: Deps, caller: Caller, owner: WebhookOwner): Promise<Webhook[]> {
  authorize(caller, owner);
  const rows = await deps.db
    .selectFrom("webhooks")
    .selectAll()
    .where(ownedBy(owner))
    .where("deleted_at", "is", null)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toWebhook);
}

async function findOwnedWebhook(deps: Deps, owner: WebhookOwner, id: string) {
  const row = await deps.db
    .selectFrom("webhooks")
    .selectAll()
    .where("id", "=", id)
    .where(ownedBy(owner))
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  if (!row) throw notFound("webhook");
  return row;
}

/** Removes an endpoint; its pending messages are dropped, its delivery log is kept. */
export async function deleteWebhook(deps: Deps, caller: Caller, owner: WebhookOwner, id: string): Promise<void> {
  authorize(caller, owner);
  const row = await findOwnedWebhook(deps, owner, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable("webhooks").set({ deleted_at: now.toISOString() }).where("id", "=", row.id).execute();
    await trx
      .updateTable("outbox")
      .set({ status: "canceled", last_error: "endpoint removed" })
      .where("kind", "=", "webhook")
      .where("destination", "=", row.id)
      .where("status", "=", "pending")
      .execute();
    await recordOrgActivity(trx, owner, {
      at: now,
      operation: "webhook.deleted",
      actor: auditActor(caller),
      target: { type: "webhook", id: row.id },
      details: { url: row.url },
    });
  });
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: string;
  attempt: number;
  at: string;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Every attempt, newest first. */
export async function listDeliveries(
  deps: Deps,
  caller: Caller,
  owner: WebhookOwner,
  id: string,
  page: { cursor?: string; limit: number },
): Promise<Page<WebhookDelivery>> {
  authorize(caller, owner);
  const hook = await findOwnedWebhook(deps, owner, id);
  let q = deps.db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("webhook_id", "=", hook.id)
    .orderBy("at", "desc")
    .orderBy("id", "desc")
    .limit(page.limit + 1);
  if (page.cursor) {
    const [at, lastId] = decodeCursor(page.cursor) as [string, string];
    q = q.where((eb) => eb.or([eb("at", "<", at), eb.and([eb("at", "=", at), eb("id", "<", lastId)])]));
  }
  return toPage(
    await q.execute(),
    page.limit,
    (d) => ({
      id: d.id,
      eventId: d.event_id,
      type: d.event_type,
      attempt: d.attempt,
      at: d.at,
      ok: d.ok === 1,
      statusCode: d.status_code,
      error: d.error,
      durationMs: d.duration_ms,
    }),
    (d) => [d.at, d.id],
  );
}
