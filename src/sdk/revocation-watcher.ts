import { GrantError } from "./errors.js";

export interface RevocationWatcherOptions {
  server: string;
  token: string;
  pollMs: number;
  /**
   * Long poll: each read waits up to this many seconds on the server for the next end, so an
   * end is learnt within the server's own lag instead of at the next poll. 0 polls every
   * `pollMs`. Capped below maxStalenessMs (a long poll that returns empty is a successful read).
   */
  waitSeconds?: number;
  maxStalenessMs: number;
  fetch: typeof fetch;
  onError: (err: Error) => void;
}

interface FeedPage {
  items: { requestId: string; tenantId: string; at: string; reason: string }[];
  nextCursor: string;
}

const PAGE = 1000;
/** No grant lives longer than a day (the server's cap), so older revocations are forgotten. */
const FORGET_AFTER_MS = 25 * 60 * 60_000;

/** A long poll that has not answered this long after its wait is treated as lost. */
const LONG_POLL_GRACE_MS = 10_000;

/**
 * Follows `GET /v1/revocations` so offline verification learns of early ends: the first sync
 * reads every end that can still matter; then it long-polls from its cursor (`wait`), reading
 * again as soon as an answer comes, or, with `waitSeconds` 0 or against a server that refuses
 * `wait`, polls every `pollMs`. After an error it waits `pollMs` before trying again.
 */
export class RevocationWatcher {
  private readonly revoked = new Map<string, number>();
  private cursor: string | undefined;
  private lastSyncMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private first: Promise<void> | undefined;
  private readonly inFlight = new AbortController();
  private waitSeconds: number;

  constructor(private readonly options: RevocationWatcherOptions) {
    this.waitSeconds = Math.max(0, Math.min(options.waitSeconds ?? 0, Math.floor(options.maxStalenessMs / 2000), 25));
  }

  /** Resolves after the first successful sync (or rejects if it fails), then keeps polling. */
  start(): Promise<void> {
    this.first ??= this.sync()
      .then(() => undefined)
      .finally(() => this.schedule(this.waitSeconds > 0 ? 0 : this.options.pollMs));
    return this.first;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.inFlight.abort();
  }

  isRevoked(requestId: string): boolean {
    return this.revoked.has(requestId);
  }

  /** Throws when the feed has not been read recently enough to trust a "not revoked". */
  assertFresh(): void {
    if (Date.now() - this.lastSyncMs > this.options.maxStalenessMs) {
      throw new GrantError("revocations_unavailable", "the revocations feed could not be read recently; refusing to trust the grant");
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      // Read again at once after a long poll that waited or brought news; wait pollMs after an
      // error or an empty answer that came early (a server or stub that does not long-poll),
      // so nothing ever spins.
      let next = this.options.pollMs;
      const started = Date.now();
      this.sync(this.waitSeconds)
        .then((found) => {
          if (this.waitSeconds > 0 && (found > 0 || Date.now() - started >= this.waitSeconds * 500)) next = 0;
        })
        .catch((err: unknown) => {
          if (!this.stopped) this.options.onError(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => this.schedule(next));
    }, delayMs);
    this.timer.unref?.();
  }

  /**
   * Reads the feed from the cursor to its end; with `waitSeconds`, the first read long-polls.
   * Returns how many ends it read.
   */
  async sync(waitSeconds = 0): Promise<number> {
    let found = 0;
    for (let first = true; ; first = false) {
      const url = new URL("/v1/revocations", this.options.server);
      url.searchParams.set("limit", String(PAGE));
      if (this.cursor !== undefined) url.searchParams.set("after", this.cursor);
      const wait = first && this.cursor !== undefined ? waitSeconds : 0;
      if (wait > 0) url.searchParams.set("wait", String(wait));
      const signal = AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(wait * 1000 + LONG_POLL_GRACE_MS)]);
      const res = await this.options.fetch(url, { headers: { authorization: `Bearer ${this.options.token}` }, signal });
      if (res.status === 400 && wait > 0) {
        // A server older than the long poll: fall back to polling.
        this.waitSeconds = 0;
        continue;
      }
      if (!res.ok) throw new Error(`revocations feed answered ${res.status}`);
      const page = (await res.json()) as FeedPage;
      const now = Date.now();
      for (const item of page.items) this.revoked.set(item.requestId, now);
      found += page.items.length;
      this.cursor = page.nextCursor;
      if (page.items.length < PAGE) break;
    }
    this.lastSyncMs = Date.now();
    for (const [id, at] of this.revoked) if (this.lastSyncMs - at > FORGET_AFTER_MS) this.revoked.delete(id);
    return found;
  }
}
