import { GrantError } from "./errors.js";

export interface RevocationWatcherOptions {
  server: string;
  token: string;
  pollMs: number;
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

/**
 * Follows `GET /v1/revocations` so offline verification learns of early ends: the first sync
 * reads every end that can still matter, then it polls from its cursor every `pollMs`.
 */
export class RevocationWatcher {
  private readonly revoked = new Map<string, number>();
  private cursor: string | undefined;
  private lastSyncMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private first: Promise<void> | undefined;

  constructor(private readonly options: RevocationWatcherOptions) {}

  /** Resolves after the first successful sync (or rejects if it fails), then keeps polling. */
  start(): Promise<void> {
    this.first ??= this.sync().finally(() => this.schedule());
    return this.first;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
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

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sync()
        .catch((err: unknown) => this.options.onError(err instanceof Error ? err : new Error(String(err))))
        .finally(() => this.schedule());
    }, this.options.pollMs);
    this.timer.unref?.();
  }

  /** Reads the feed from the cursor to its end. */
  async sync(): Promise<void> {
    for (;;) {
      const url = new URL("/v1/revocations", this.options.server);
      url.searchParams.set("limit", String(PAGE));
      if (this.cursor !== undefined) url.searchParams.set("after", this.cursor);
      const res = await this.options.fetch(url, { headers: { authorization: `Bearer ${this.options.token}` } });
      if (!res.ok) throw new Error(`revocations feed answered ${res.status}`);
      const page = (await res.json()) as FeedPage;
      const now = Date.now();
      for (const item of page.items) this.revoked.set(item.requestId, now);
      this.cursor = page.nextCursor;
      if (page.items.length < PAGE) break;
    }
    this.lastSyncMs = Date.now();
    for (const [id, at] of this.revoked) if (this.lastSyncMs - at > FORGET_AFTER_MS) this.revoked.delete(id);
  }
}
