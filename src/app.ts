import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { migrateToLatest } from "./db/migrate.js";
import type { Db } from "./db/schema.js";
import type { Deps } from "./deps.js";
import { GrantIndex } from "./grants/grant-index.js";
import { grantListener } from "./grants/grant-listener.js";
import { startGrantSync } from "./grants/grant-sync.js";
import { trackConnections } from "./http/drain-connections.js";
import { ServiceCredentialCache } from "./grants/service-credentials.js";
import { buildServer } from "./http/server.js";
import { buildMachineServer } from "./http/machine-server.js";
import { Keyring } from "./keys/keyring.js";
import { LoginThrottle } from "./identity/login-throttle.js";
import { createSweeper, type Sweeper } from "./requests/sweeper.js";
import { createCheckpointer } from "./audit/checkpoints.js";
import { ensureAuditLogKey } from "./audit/log-key.js";
import type { PeriodicJob } from "./jobs/periodic-job.js";
import { createDispatcher, type Dispatcher } from "./notify/dispatcher.js";
import { createMailer, type Mailer } from "./notify/mailer.js";
import { createNotifyListener } from "./notify/notify-listener.js";
import { type AuditStreamer, createAuditStreamer } from "./siem/audit-streamer.js";

export interface AppOptions {
  db: Db;
  config: Config;
  clock?: Clock;
  log?: Logger;
  /** Defaults to SMTP (LOCKBOX_SMTP_URL) or .eml files under the data folder. */
  mailer?: Mailer;
}

export interface App {
  server: FastifyInstance;
  /** With LOCKBOX_MACHINE_PORT: the lean listener for the three service routes (machine-server.ts). */
  machineServer?: FastifyInstance;
  deps: Deps;
  sweeper: Sweeper;
  /** Signs audit checkpoints; `serve` starts it, tests drive `runOnce()`. */
  checkpointer: PeriodicJob;
  /** Delivers the notification outbox; `serve` starts it, tests drive `runOnce()`. */
  dispatcher: Dispatcher;
  /** Streams audit chains to SIEM sinks; `serve` starts it, tests drive `runOnce()`. */
  auditStreamer: AuditStreamer;
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
    keys: new Keyring(options.db, options.config, options.clock ?? systemClock),
    grants: new GrantIndex(options.db),
    serviceCredentials: new ServiceCredentialCache(options.db),
  };
  await migrateToLatest(deps.db);
  // Enforcement: signing keys (created on first start), the grant index and what keeps it current.
  await deps.keys.init();
  await ensureAuditLogKey(deps.db, deps.config, deps.clock.now());
  deps.requestListeners.push(grantListener(deps.grants));
  await deps.grants.reloadAll(deps.clock.now());
  const grantSync = await startGrantSync(deps);
  const server = await buildServer(deps, new LoginThrottle(deps.clock));
  const connections = trackConnections(server.server);
  const machineServer = deps.config.machinePort === undefined ? undefined : await buildMachineServer(deps);
  const machineConnections = machineServer && trackConnections(machineServer.server);
  const sweeper = createSweeper(deps);
  const checkpointer = createCheckpointer(deps);
  // Notifications: the outbox is written by a request listener inside each step's transaction.
  const mailer = options.mailer ?? createMailer(deps.config, deps.log);
  const dispatcher = createDispatcher(deps, mailer);
  deps.requestListeners.push(createNotifyListener(() => dispatcher.wake()));
  const auditStreamer = createAuditStreamer(deps, () => dispatcher.wake());
  // Request steps are most of the audit: stream them right after commit instead of at the next poll.
  deps.requestListeners.push(async (work) => work.afterCommit(() => auditStreamer.wake()));
  return {
    server,
    ...(machineServer ? { machineServer } : {}),
    deps,
    sweeper,
    checkpointer,
    dispatcher,
    auditStreamer,
    async close() {
      await auditStreamer.stop();
      await sweeper.stop();
      await checkpointer.stop();
      await dispatcher.stop();
      mailer.close();
      await grantSync.stop();
      // Keep closing idle connections while in-flight requests (a long poll of the revocations
      // feed) finish: a client may open one after close began (see drain-connections.ts).
      const sweep = setInterval(() => {
        connections.closeIdle();
        machineConnections?.closeIdle();
      }, 100);
      await Promise.all([server.close(), machineServer?.close()]).finally(() => clearInterval(sweep));
      await deps.db.destroy();
    },
  };
}
