import type { Deps } from "../../deps.js";
import { LoginThrottle } from "../login-throttle.js";

/** Wrong TOTP or recovery codes one user may send per 15 minutes, wherever they are sent. */
export const TOTP_ATTEMPTS = 10;

const limiters = new WeakMap<Deps, LoginThrottle>();

/**
 * The one brake on code guessing per app: the TOTP routes (confirm, remove) and step-up (the
 * X-Lockbox-OTP header) share it, keyed `totp:<user id>`, so spreading guesses over several
 * routes buys no more tries. Per app instance (keyed by its deps), in memory like every brake.
 */
export function totpCodeLimiter(deps: Deps): LoginThrottle {
  let limiter = limiters.get(deps);
  if (!limiter) {
    limiter = new LoginThrottle(deps.clock, TOTP_ATTEMPTS, 15 * 60_000);
    limiters.set(deps, limiter);
  }
  return limiter;
}

export const totpGuessKey = (userId: string) => `totp:${userId}`;
