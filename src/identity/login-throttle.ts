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
 * Where the attempt itself is slow (a password to hash or verify), use `attempt`.
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

  /**
   * Counts one attempt for these keys now, before the caller does any slow work (argon2), and
   * returns the delay to wait first; throws 429 while any key is over its limit. Counting first
   * is what makes the brake hold under concurrency: with the check before the work and the count
   * after it, N parallel guesses would all pass the check before the first one failed. Synchronous
   * on purpose — nothing may await between the check and the count. A caller whose attempt turns
   * out well gives it back with `succeed` or `forgive`.
   */
  attempt(keys: string[], message: string): number {
    this.refuseIfLimited(keys, message);
    const delay = this.delayMs(keys);
    this.fail(keys);
    return delay;
  }

  /**
   * Runs `work` as one attempt, counted before it starts (see `attempt`) and given back unless it
   * throws an error `isFailure` says was a failed guess.
   */
  async guard<T>(keys: string[], message: string, isFailure: (err: unknown) => boolean, work: () => Promise<T>): Promise<T> {
    this.attempt(keys, message);
    try {
      const result = await work();
      this.forgive(keys);
      return result;
    } catch (err) {
      if (!isFailure(err)) this.forgive(keys);
      throw err;
    }
  }

  /** Gives back one counted attempt of each key (an attempt that was not a failure). */
  forgive(keys: string[]): void {
    for (const key of keys) {
      const f = this.failures.get(key);
      if (!f) continue;
      if (f.count <= 1) this.failures.delete(key);
      else f.count -= 1;
    }
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

  /** A successful sign-in: the account starts afresh; its attempt is given back to `otherKeys`. */
  succeed(accountKey: string, otherKeys: string[] = []): void {
    this.failures.delete(accountKey);
    this.forgive(otherKeys);
  }

  private prune(now: number): void {
    for (const [key, f] of this.failures) if (now - f.since >= this.windowMs) this.failures.delete(key);
  }
}
