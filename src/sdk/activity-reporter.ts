/** One thing an engineer did under a grant, for the customer's audit log. */
export interface ActivityReport {
  /** The grant's request id (the token's `rid`). */
  requestId: string;
  /**
   * Recorded as `operator.<operation>`: a namespaced name, `^[a-z][a-z0-9_.-]{0,127}$`
   * (`mailbox.read_item`). Anything else is still recorded, as `operator.denied` (invalid_event).
   */
  operation: string;
  /** What was touched, e.g. "GET /mailboxes/42". */
  target: string;
  /** When it happened; defaults to now. */
  at?: Date | string;
  /** Set when your service refused the call (a reason code): recorded as `operator.denied`. */
  refused?: string;
  /** Extra facts: strings, integers and booleans only. */
  details?: Record<string, string | number | boolean>;
}

/** What the reporter holds and has done: export it as metrics; alert on `oldestPendingMs`. */
export interface ActivityStats {
  /** Events held, not yet accepted by the server. */
  pending: number;
  /** The most it holds; beyond this `reportActivity` throws ActivityBufferFull. */
  capacity: number;
  /** How long the oldest held event has waited, in ms (0 when none is held). */
  oldestPendingMs: number;
  /** Posts failed or refused in a row (0 after a success). */
  consecutiveFailures: number;
  /** The last failure, if any. */
  lastError?: string;
  /** Events the server has accepted and written to the audit log, whatever the outcome. */
  delivered: number;
  /** Of those, recorded as `operator.denied` (outside a grant, refused, or invalid). */
  denied: number;
  /** Of those denied, the ones the server judged invalid (`invalid_event`): a bug in the reporter's caller. */
  invalid: number;
}

/** Thrown by reportActivity when the buffer is full: the caller must not serve what it cannot record. */
export class ActivityBufferFull extends Error {
  override name = "ActivityBufferFull";
  constructor(readonly capacity: number) {
    super(`activity buffer full (${capacity} events not yet recorded); refusing rather than dropping`);
  }
}

export interface ActivityReporterOptions {
  server: string;
  token: string;
  batchSize: number;
  flushMs: number;
  maxQueue: number;
  /** Longest wait between retries. */
  maxRetryMs: number;
  fetch: typeof fetch;
  onError: (err: Error) => void;
  now: () => Date;
}

const MAX_BATCH = 1000;
/** A post that hangs this long counts as failed (and is retried: delivery is at least once). */
const POST_TIMEOUT_MS = 15_000;

interface QueuedEvent {
  requestId: string;
  operation: string;
  target: string;
  at: string;
  refused?: string;
  details?: Record<string, string | number | boolean>;
}

interface BatchAnswer {
  denied?: number;
  invalid?: number;
  items?: { index: number; reason?: string; problems?: { field: string; message: string }[] }[];
}

/**
 * Queues activity and posts it to `POST /v1/activity` in batches: when `batchSize` events wait or
 * `flushMs` after the first one.
 *
 * It never drops what it holds (§13: no access without a record). A failed post — network, a
 * timeout, any non-2xx answer, even a 400 — keeps the batch, in order, and is retried with
 * exponential backoff; a 413 halves the batch. The server judges events one by one, so one bad
 * event cannot sink the rest. The buffer is bounded: when it is full, `report` throws
 * ActivityBufferFull instead of dropping anything, and `stats()` says how much is held and for how
 * long, so a caller (the gateway) can stop serving before it would have to drop.
 */
export class ActivityReporter {
  private queue: { event: QueuedEvent; queuedAtMs: number }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private batchSize: number;
  private counts = { delivered: 0, denied: 0, invalid: 0 };
  private stopped = false;

  constructor(private readonly options: ActivityReporterOptions) {
    this.batchSize = Math.min(options.batchSize, MAX_BATCH);
  }

  get pending(): number {
    return this.queue.length;
  }

  stats(): ActivityStats {
    const oldest = this.queue[0];
    return {
      pending: this.queue.length,
      capacity: this.options.maxQueue,
      oldestPendingMs: oldest ? Math.max(0, this.options.now().getTime() - oldest.queuedAtMs) : 0,
      consecutiveFailures: this.failures,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...this.counts,
    };
  }

  /** Queues one event; throws ActivityBufferFull (holding on to everything queued) when full. */
  report(event: ActivityReport): void {
    if (this.queue.length >= this.options.maxQueue) throw new ActivityBufferFull(this.options.maxQueue);
    const now = this.options.now();
    const at = event.at === undefined ? now.toISOString() : typeof event.at === "string" ? event.at : event.at.toISOString();
    this.queue.push({
      queuedAtMs: now.getTime(),
      event: {
        requestId: event.requestId,
        operation: event.operation,
        target: event.target.slice(0, 512),
        at,
        ...(event.refused ? { refused: event.refused } : {}),
        ...(event.details ? { details: event.details } : {}),
      },
    });
    // While backing off, only the retry timer posts: a failing server is not hammered by traffic.
    if (this.failures === 0 && this.queue.length >= this.batchSize) void this.flush();
    else if (!this.stopped) this.timer ??= this.later(this.options.flushMs);
  }

  private later(ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    timer.unref?.();
    return timer;
  }

  /** Posts everything queued now; resolves when done (or when a retry has been scheduled). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const size = Math.min(this.batchSize, this.queue.length);
      const batch = this.queue.slice(0, size).map((q) => q.event);
      let res: Response;
      try {
        res = await this.options.fetch(new URL("/v1/activity", this.options.server), {
          method: "POST",
          headers: { authorization: `Bearer ${this.options.token}`, "content-type": "application/json" },
          body: JSON.stringify({ events: batch }),
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
      } catch (err) {
        return this.retryLater(err instanceof Error ? err : new Error(String(err)));
      }
      if (res.status === 413 && size > 1) {
        await res.body?.cancel();
        this.batchSize = Math.max(1, Math.floor(size / 2));
        continue;
      }
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        return this.retryLater(new Error(`activity post of ${size} events answered ${res.status}: ${text.slice(0, 300)}`));
      }
      // Committed by the server: whatever the body says, these are on the record.
      const answer = (await res.json().catch(() => ({}))) as BatchAnswer;
      this.queue.splice(0, size);
      this.failures = 0;
      this.counts.delivered += size;
      this.counts.denied += answer.denied ?? 0;
      this.counts.invalid += answer.invalid ?? 0;
      if (answer.invalid) {
        const first = answer.items?.find((i) => i.reason === "invalid_event");
        const why = first?.problems?.map((p) => `${p.field}: ${p.message}`).join("; ") ?? "";
        this.options.onError(new Error(`${answer.invalid} activity events were invalid, recorded as operator.denied (invalid_event): ${why}`));
      }
    }
  }

  private retryLater(err: Error): void {
    this.failures += 1;
    this.lastError = err.message;
    this.options.onError(err);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.timer = this.later(Math.min(this.options.flushMs * 2 ** (this.failures - 1), this.options.maxRetryMs));
  }

  /** Stops the timers; `flush()` still posts what is held (once, without retries). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
