import type { Config } from "../../config.js";

/**
 * The WebAuthn relying party is the public URL: its host is the RP id and its origin the only
 * origin a ceremony may come from. Browsers refuse an IP address as RP id, which is why the
 * default public URL is http://localhost:<port>. Changing LOCKBOX_PUBLIC_URL's host orphans every
 * registered passkey (they are bound to the old RP id); users then sign in with a password.
 */
export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

export function relyingPartyOf(config: Pick<Config, "publicUrl">): RelyingParty {
  const url = new URL(config.publicUrl);
  return { id: url.hostname, name: "Lockbox", origin: url.origin };
}

/** How long a challenge may be answered; the browser is told the same (in ms). */
export const CHALLENGE_MINUTES = 5;

/**
 * Only algorithms whose keys convert to a JWK (for the audit): ES256, EdDSA and RS256 cover every
 * platform authenticator and security key in use.
 */
export const SUPPORTED_ALGORITHMS = [-7, -8, -257];
