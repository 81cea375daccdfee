import { isPostgres } from "../db/dialect.js";
import type { OutboxTable, WebhookTable } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { newId } from "../ids.js";
import { postWebhook, type WebhookAttempt } from "./deliver-webhook.js";
import { disableFailingWebhook } from "./disable-webhook.js";
import { enqueueReminders } from "./enqueue-reminders.js";
import type { Mailer } from "./mailer.js";
import { type EmailPayload, GIVE_UP_AFTER_MS, retryDelayMs, type WebhookPayload } from "./outbox.js";
import { pruneOutbox } from "./prune-outbox.js";
import { openWebhookSecret, webhookSecretKey } from "./webhook-secrets.js";

export interface Dispatcher {
  /** Enqueues due reminders, then delivers every due message once; returns how many it tried. */
  runOnce(): Promise<number>;
  /** Asks for a prompt run (after a commit that wrote outbox rows); a no-op unless started. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

/** How long a claimed row stays ours. A dispatcher that dies holding a claim frees it after this. */
export const CLAIM_LEASE_MS = 2 * 60_000;
const BATCH = 20;
const POLL_MS = 5_000;
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * Delivers the outbox, at least once. A run claims due rows by setting `claimed_until` (see
 * claimDue: on PostgreSQL under FOR UPDATE SKIP LOCKED, so several servers never claim the same
 * row), delivers outside any transaction, then records the
 * outcome only if its claim still holds (`claim_token`). If the process dies between claim and
 * outcome, the row becomes due again when the lease ends and is delivered again with the same
 * idempotency key — a duplicate the receiver can recognise, never a loss.
 */
export function createDispatcher(deps: Deps, mailer: Mailer): Dispatcher {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;
  let prunedAt = Number.NEGATIVE_INFINITY;

  const runOnce = (): Promise<number> => {
    running ??= (async () => {
      const now = deps.clock.now().getTime();
      if (now - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = now;
        await pruneOutbox(deps).catch((err: unknown) => deps.log.error({ err }, "outbox pruning failed"));
      }
      return dispatchDue(deps, mailer, () => wake());
    })().finally(() => {
      running = undefined;
      // A commit that woke us mid-run may have written rows after our last claim: go again.
      if (again) {
        again = false;
        wake();
      }
    });
    return running;
  };
  const wake = () => {
    if (!timer) return;
    if (running) {
      again = true;
      return;
    }
    setImmediate(() => {
      if (!timer) return; // stopped meanwhile
      runOnce().catch((err: unknown) => deps.log.error({ err }, "notification dispatch failed"));
    });
  };
  return {
    runOnce,
    wake,
    start() {
      timer ??= setInterval(() => {
        runOnce().catch((err: unknown) => deps.log.error({ err }, "notification dispatch failed"));
      }, POLL_MS);
      timer.unref();
      wake();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}

async function dispatchDue(deps: Deps, mailer: Mailer, wake: () => void): Promise<number> {
  try {
    await enqueueReminders(deps, wake);
  } catch (err) {
    deps.log.error({ err }, "reminder scan failed");
  }
  let tried = 0;
  for (;;) {
    const claimed = await claimDue(deps, BATCH);
    await Promise.all(claimed.map((row) => deliver(deps, mailer, row, wake)));
    tried += claimed.length;
    if (claimed.length < BATCH) return tried;
  }
}

type Claimed = OutboxTable & { claim_token: string };

/**
 * Claims up to `limit` due rows for one run, in one UPDATE … WHERE id IN (SELECT … LIMIT n)
 * RETURNING statement: nothing can slip between choosing and claiming. On PostgreSQL the inner
 * SELECT takes the rows FOR UPDATE SKIP LOCKED, so concurrent servers split the work instead of
 * queueing on the same rows. (Exported so a test can play a dispatcher that dies right here.)
 */
export async function claimDue(deps: Deps, limit: number): Promise<Claimed[]> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const pg = isPostgres(deps.db);
  const rows = await deps.db
    .updateTable("outbox")
    .set({ claimed_until: new Date(now.getTime() + CLAIM_LEASE_MS).toISOString(), claim_token: newId() })
    .where("id", "in", (eb) => {
      const due = eb
        .selectFrom("outbox")
        .select("id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", at)
        .where((w) => w.or([w("claimed_until", "is", null), w("claimed_until", "<=", at)]))
        .orderBy("next_attempt_at")
        .limit(limit);
      return pg ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
  return rows as Claimed[];
}

async function deliver(deps: Deps, mailer: Mailer, row: Claimed, wake: () => void): Promise<void> {
  try {
    if (row.kind === "email") await deliverEmail(deps, mailer, row);
    else await deliverWebhook(deps, row, wake);
  } catch (err) {
    // Unexpected (e.g. the database went away): the claim lapses and the row is retried.
    deps.log.error({ err, outboxId: row.id }, "notification delivery failed unexpectedly");
  }
}

/** Records an outcome only while our claim holds; a row re-claimed by another run is left to it. */
function settle(deps: Deps, row: Claimed, set: Partial<OutboxTable>) {
  return deps.db
    .updateTable("outbox")
    .set({ ...set, claimed_until: null, claim_token: null })
    .where("id", "=", row.id)
    .where("claim_token", "=", row.claim_token)
    .execute();
}

/** Next attempt after a failure, or null once the message has been failing for 24 hours. */
function nextAttempt(row: Claimed, now: Date): string | null {
  if (now.getTime() - Date.parse(row.created_at) >= GIVE_UP_AFTER_MS) return null;
  return new Date(now.getTime() + retryDelayMs(row.attempts + 1)).toISOString();
}

async function deliverEmail(deps: Deps, mailer: Mailer, row: Claimed): Promise<void> {
  const payload = JSON.parse(row.payload) as EmailPayload;
  try {
    await mailer.send({ ...payload, idempotencyKey: row.idempotency_key });
    await settle(deps, row, { status: "sent", attempts: row.attempts + 1, sent_at: deps.clock.now().toISOString(), last_error: null });
  } catch (err) {
    const now = deps.clock.now();
    const code = (err as { responseCode?: number }).responseCode;
    const permanent = typeof code === "number" && code >= 500 && code < 600;
    const next = permanent ? null : nextAttempt(row, now);
    const message = (err as Error).message.slice(0, 500);
    deps.log.warn({ to: payload.to, err: message, attempt: row.attempts + 1, retry: next }, "mail delivery failed");
    await settle(deps, row, {
      attempts: row.attempts + 1,
      last_error: message,
      ...(next ? { next_attempt_at: next } : { status: "failed" }),
    });
  }
}

async function deliverWebhook(deps: Deps, row: Claimed, wake: () => void): Promise<void> {
  const payload = JSON.parse(row.payload) as WebhookPayload;
  const hook = await deps.db.selectFrom("webhooks").selectAll().where("id", "=", row.destination).executeTakeFirst();
  if (!hook || hook.deleted_at || hook.disabled_at) {
    await settle(deps, row, { status: "canceled", last_error: "endpoint removed or disabled" });
    return;
  }
  const attempt = await attemptWebhook(deps, hook, payload);
  const now = deps.clock.now();
  await deps.db
    .insertInto("webhook_deliveries")
    .values({
      id: newId(),
      webhook_id: hook.id,
      outbox_id: row.id,
      event_id: payload.eventId,
      event_type: payload.type,
      attempt: row.attempts + 1,
      at: now.toISOString(),
      ok: attempt.ok ? 1 : 0,
      status_code: attempt.statusCode,
      error: attempt.error,
      duration_ms: attempt.durationMs,
    })
    .execute();
  if (attempt.ok) {
    await settle(deps, row, { status: "sent", attempts: row.attempts + 1, sent_at: now.toISOString(), last_error: null });
    return;
  }
  const next = nextAttempt(row, now);
  await settle(deps, row, {
    attempts: row.attempts + 1,
    last_error: attempt.error,
    ...(next ? { next_attempt_at: next } : { status: "failed" }),
  });
  if (!next) await disableFailingWebhook(deps, hook, attempt.error ?? "delivery failed", wake);
}

/** One signed POST; a secret that cannot be decrypted counts as a failed attempt, not a crash. */
async function attemptWebhook(deps: Deps, hook: WebhookTable, payload: WebhookPayload): Promise<WebhookAttempt> {
  let secret: string;
  try {
    secret = openWebhookSecret(webhookSecretKey(deps.config), hook.id, hook.secret);
  } catch (err) {
    return { ok: false, statusCode: null, error: (err as Error).message, durationMs: 0 };
  }
  return postWebhook({
    url: hook.url,
    rawBody: payload.body,
    secret,
    eventId: payload.eventId,
    eventType: payload.type,
    now: deps.clock.now(),
    allowPrivate: deps.config.webhookAllowPrivate,
  });
}
