import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { migrateToLatest } from "./db/migrate.js";
import type { Db } from "./db/schema.js";
import type { Deps } from "./deps.js";
import { buildServer } from "./http/server.js";
import { LoginThrottle } from "./identity/login-throttle.js";
import { createSweeper, type Sweeper } from "./requests/sweeper.js";

export interface AppOptions {
  db: Db;
  config: Config;
  clock?: Clock;
  log?: Logger;
}

export interface App {
  server: FastifyInstance;
  deps: Deps;
  sweeper: Sweeper;
  close(): Promise<void>;
}

/** Secrets never reach a log line: these fields are replaced wherever they appear. */
export const redactPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-csrf-token']",
  "res.headers['set-cookie']",
  "password",
  "token",
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: "[redacted]" } });
}

/**
 * The composition root: every dependency is passed in here and handed down, nothing is global.
 * Tests swap the clock, the database and the logger through these options.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const deps: Deps = {
    db: options.db,
    config: options.config,
    clock: options.clock ?? systemClock,
    log: options.log ?? createLogger(options.config.logLevel),
    requestListeners: [],
  };
  await migrateToLatest(deps.db);
  const server = await buildServer(deps, new LoginThrottle(deps.clock));
  const sweeper = createSweeper(deps);
  return {
    server,
    deps,
    sweeper,
    async close() {
      await sweeper.stop();
      await server.close();
      await deps.db.destroy();
    },
  };
}
