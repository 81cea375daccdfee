import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Db } from "./db/schema.js";
import type { RequestEventListener } from "./requests/request-events.js";

/** What every use case may depend on; built once by createApp and passed down, never global. */
export interface Deps {
  db: Db;
  clock: Clock;
  config: Config;
  log: Logger;
  /** Called for every request step, inside its transaction (see request-events.ts). */
  requestListeners: RequestEventListener[];
}
