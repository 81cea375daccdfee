import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Db } from "./db/schema.js";
import type { GrantIndex } from "./grants/grant-index.js";
import type { ServiceCredentialCache } from "./grants/service-credentials.js";
import type { Keyring } from "./keys/keyring.js";
import type { RequestEventListener } from "./requests/request-events.js";

/** What every use case may depend on; built once by createApp and passed down, never global. */
export interface Deps {
  db: Db;
  clock: Clock;
  config: Config;
  log: Logger;
  /** Called for every request step, inside its transaction (see request-events.ts). */
  requestListeners: RequestEventListener[];
  /** Signing keys: grant tokens and audit checkpoints (signCompactJws, publicJwks). */
  keys: Keyring;
  /** Active grants in memory, answering the access check. */
  grants: GrantIndex;
  /** Service credential lookups for the hot path. */
  serviceCredentials: ServiceCredentialCache;
}
