/** One thing an engineer did under a grant, for the customer's audit log. */
export interface ActivityReport {
  /** The grant's request id (the token's `rid`). */
  requestId: string;
  /** Recorded as `operator.<operation>`: lowercase letters, digits and `_`. */
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

export interface ActivityReporterOptions {
  server: string;
  token: string;
  batchSize: number;
  flushMs: number;
  maxQueue: number;
  fetch: typeof fetch;
  onError: (err: Error) => void;
  now: () => Date;
}

const MAX_BATCH = 1000;

interface QueuedEvent {
  requestId: string;
  operation: string;
  target: string;
  at: string;
  refused?: string;
  details?: Record<string, string | number | boolean>;
}

/**
 * Queues activity and posts it to `POST /v1/activity` in batches: when `batchSize` events wait or
 * `flushMs` after the first one. A failed post (network, 5xx, 429) is retried with the batch kept
 * in order; a refused one (other 4xx) is dropped and reported through onError. When the queue is
 * full the oldest events are dropped (and reported), so a server outage cannot exhaust memory.
 */
export class ActivityReporter {
  private queue: QueuedEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly options: ActivityReporterOptions) {}

  get pending(): number {
    return this.queue.length;
  }

  report(event: ActivityReport): void {
    const at = event.at === undefined ? this.options.now().toISOString() : typeof event.at === "string" ? event.at : event.at.toISOString();
    this.queue.push({
      requestId: event.requestId,
      operation: event.operation,
      target: event.target.slice(0, 512),
      at,
      ...(event.refused ? { refused: event.refused } : {}),
      ...(event.details ? { details: event.details } : {}),
    });
    if (this.queue.length > this.options.maxQueue) {
      const dropped = this.queue.splice(0, this.queue.length - this.options.maxQueue);
      this.options.onError(new Error(`activity queue full: dropped ${dropped.length} oldest events`));
    }
    if (this.queue.length >= this.options.batchSize) void this.flush();
    else this.timer ??= this.later(this.options.flushMs);
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
      const batch = this.queue.slice(0, Math.min(this.options.batchSize, MAX_BATCH));
      let res: Response;
      try {
        res = await this.options.fetch(new URL("/v1/activity", this.options.server), {
          method: "POST",
          headers: { authorization: `Bearer ${this.options.token}`, "content-type": "application/json" },
          body: JSON.stringify({ events: batch }),
        });
      } catch (err) {
        return this.retryLater(err instanceof Error ? err : new Error(String(err)));
      }
      if (res.status >= 500 || res.status === 429) return this.retryLater(new Error(`activity post answered ${res.status}`));
      this.queue.splice(0, batch.length);
      this.failures = 0;
      if (!res.ok) this.options.onError(new Error(`activity batch of ${batch.length} refused with ${res.status}: ${await res.text()}`));
      else await res.body?.cancel();
    }
  }

  private retryLater(err: Error): void {
    this.failures += 1;
    this.options.onError(err);
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.later(Math.min(this.options.flushMs * 2 ** this.failures, 60_000));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
