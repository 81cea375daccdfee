import type { OutboxTable, Tx } from "../db/schema.js";
import { newId, sha256Hex } from "../ids.js";

/** What an email row carries: the whole message, composed when it was enqueued. */
export interface EmailPayload {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** What a webhook row carries: the exact body every attempt sends, and the event it stands for. */
export interface WebhookPayload {
  eventId: string;
  type: string;
  body: string;
}

export type OutboxMessage =
  | { kind: "email"; idempotencyKey: string; destination: string; payload: EmailPayload }
  | { kind: "webhook"; idempotencyKey: string; destination: string; payload: WebhookPayload };

/** Retries stop this long after the message was written (SPEC 7: "for 24 h"). */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 60 * 60_000;

/** Delay before the next attempt after `failures` failed ones: 30 s, 60 s, 120 s … capped at 1 h. */
export function retryDelayMs(failures: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(failures - 1, 20)), MAX_RETRY_MS);
}

export const mailKey = (sourceId: string, email: string) => `mail:${sourceId}:${email.toLowerCase()}`;
export const webhookKey = (eventId: string, webhookId: string) => `webhook:${eventId}:${webhookId}`;

/** A stable Message-ID per idempotency key: a mail sent twice is recognisably the same mail. */
export const messageIdOf = (idempotencyKey: string) => `<${sha256Hex(idempotencyKey).slice(0, 40)}@lockbox>`;

/**
 * Writes messages in the caller's transaction, so they commit with the change that caused them or
 * not at all. A key already present is skipped: writing the same message twice is a no-op.
 */
export async function enqueueMessages(trx: Tx, messages: OutboxMessage[], now: Date): Promise<void> {
  if (messages.length === 0) return;
  const at = now.toISOString();
  const rows: OutboxTable[] = messages.map((m) => ({
    id: newId(),
    kind: m.kind,
    idempotency_key: m.idempotencyKey,
    destination: m.destination,
    payload: JSON.stringify(m.payload),
    status: "pending",
    attempts: 0,
    created_at: at,
    next_attempt_at: at,
    claimed_until: null,
    claim_token: null,
    last_error: null,
    sent_at: null,
  }));
  await trx
    .insertInto("outbox")
    .values(rows)
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .execute();
}
