import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { assertDeliverableHost, guardedLookup } from "./ssrf-guard.js";

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (SPEC 7). */
export function signWebhook(secret: string, unixSeconds: number, rawBody: string): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`).digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
}

export interface WebhookAttempt {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One POST of a signed body. Any 2xx is success. Redirects are not followed (a 3xx is a failure),
 * the target is re-checked against the SSRF guard on every attempt, and the answer's body is
 * drained and ignored. Never throws: the outcome is data for the delivery log.
 */
export async function postWebhook(input: {
  url: string;
  rawBody: string;
  secret: string;
  eventId: string;
  eventType: string;
  now: Date;
  allowPrivate: boolean;
}): Promise<WebhookAttempt> {
  const started = performance.now();
  const done = (ok: boolean, statusCode: number | null, error: string | null): WebhookAttempt => ({
    ok,
    statusCode,
    error,
    durationMs: Math.round(performance.now() - started),
  });
  let url: URL;
  try {
    url = new URL(input.url);
    assertDeliverableHost(url, input.allowPrivate);
  } catch (err) {
    return done(false, null, (err as Error).message);
  }
  const t = Math.floor(input.now.getTime() / 1000);
  const body = Buffer.from(input.rawBody);
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const req = client.request(
      url,
      {
        method: "POST",
        lookup: guardedLookup(input.allowPrivate),
        timeout: WEBHOOK_TIMEOUT_MS,
        headers: {
          "content-type": "application/json",
          "content-length": String(body.length),
          "user-agent": "Lockbox-Webhooks/1",
          "lockbox-signature": signWebhook(input.secret, t, input.rawBody),
          "lockbox-event-id": input.eventId,
          "lockbox-event-type": input.eventType,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        const ok = status >= 200 && status < 300;
        resolve(done(ok, status, ok ? null : `HTTP ${status}`));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`)));
    req.on("error", (err) => resolve(done(false, null, err.message.slice(0, 500))));
    req.end(body);
  });
}
