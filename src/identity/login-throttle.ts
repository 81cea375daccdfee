import type { Clock } from "../clock.js";
import { AppError } from "../errors.js";

/**
 * Slows and then refuses repeated failed sign-ins, counted per account and per IP so that neither
 * guessing one account from many addresses nor many accounts from one address goes unchecked.
 * Kept in memory: it is a brake on guessing, not a ledger, and a restart only resets the brake.
 *
 * The one rate limiter of Lockbox: the same class, with its own limit and window, also brakes
 * invitation acceptance (invalid tokens per IP and per token) and personal token creation (per
 * user); there `fail` counts an attempt and `refuseIfLimited` answers 429 with Retry-After.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly clock: Clock,
    readonly limit = 10,
    readonly windowMs = 15 * 60_000,
    readonly freeAttempts = 3,
  ) {}

  /** Milliseconds until these keys may try again; 0 when they may now. */
  retryAfterMs(keys: string[]): number {
    const now = this.clock.now().getTime();
    let wait = 0;
    for (const key of keys) {
      const f = this.failures.get(key);
      if (!f) continue;
      if (now - f.since >= this.windowMs) this.failures.delete(key);
      else if (f.count >= this.limit) wait = Math.max(wait, f.since + this.windowMs - now);
    }
    return wait;
  }

  /** Throws 429 `too_many_attempts` (with Retry-After) while any of these keys is over its limit. */
  refuseIfLimited(keys: string[], message: string): void {
    const retryMs = this.retryAfterMs(keys);
    if (retryMs > 0) throw new AppError("too_many_attempts", message, { retryAfterSeconds: Math.ceil(retryMs / 1000) });
  }

  /** A growing delay (up to 2 s) to add before answering, once past the free attempts. */
  delayMs(keys: string[]): number {
    const worst = Math.max(0, ...keys.map((k) => this.failures.get(k)?.count ?? 0));
    return worst <= this.freeAttempts ? 0 : Math.min(2000, 250 * (worst - this.freeAttempts));
  }

  fail(keys: string[]): void {
    const now = this.clock.now().getTime();
    for (const key of keys) {
      const f = this.failures.get(key);
      if (!f || now - f.since >= this.windowMs) this.failures.set(key, { count: 1, since: now });
      else f.count += 1;
    }
    if (this.failures.size > 100_000) this.prune(now);
  }

  succeed(accountKey: string): void {
    this.failures.delete(accountKey);
  }

  private prune(now: number): void {
    for (const [key, f] of this.failures) if (now - f.since >= this.windowMs) this.failures.delete(key);
  }
}
