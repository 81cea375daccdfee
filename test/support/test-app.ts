import { Writable } from "node:stream";
import pino from "pino";
import { type App, createApp, redactPaths } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { connectDb } from "../../src/db/connect.js";
import { createApiToken } from "../../src/identity/api-tokens.js";
import { insertUser } from "../../src/identity/manage-users.js";
import { hashPassword } from "../../src/identity/passwords.js";
import type { Role, User } from "../../src/identity/roles.js";
import { bootstrapAdmin } from "../../src/identity/bootstrap-admin.js";
import { findUserRowByEmail, toUser } from "../../src/identity/user-queries.js";
import { FakeClock } from "./fake-clock.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

export const ADMIN_PASSWORD = "correct horse battery staple";

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** Who a request is sent as: a personal API token, a cookie session, or nobody. */
export type As = { token: string } | { cookie: string; csrf?: string } | null;

export interface TestApp {
  app: App;
  clock: FakeClock;
  database: TestDatabase;
  /** Every log line the app wrote, for tests that check what must never be logged. */
  logs: string[];
  admin: User;
  adminToken: string;
  request<T = any>(method: string, url: string, as: As, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>>;
  /** Creates an active user directly (fast path for tests) and returns it with a personal token. */
  user(roles: Role[], tenantId: string | null, name?: string): Promise<{ user: User; token: string; password: string }>;
  /**
   * Closes the app WITHOUT dropping its database, then starts a new app on the same database,
   * config, clock and log sink (a server restart). `app` then names the new instance.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * A Lockbox app on a fresh database, with a fake clock and captured logs. Pass `shared` to start
 * another instance on a database another test app owns (several instances, one database); only
 * the owner drops it.
 */
export async function startTestApp(env: Record<string, string> = {}, shared?: TestDatabase): Promise<TestApp> {
  const database = shared ?? (await createTestDatabase());
  const config = loadConfig({
    LOCKBOX_DATA_DIR: database.dataDir,
    LOCKBOX_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOCKBOX_PUBLIC_URL: "http://lockbox.test",
    ...(database.databaseUrl ? { LOCKBOX_DATABASE_URL: database.databaseUrl } : {}),
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const clock = new FakeClock();
  const log = pino({ level: "info", redact: { paths: redactPaths, censor: "[redacted]" } }, sink);
  let app = await createApp({ db: connectDb(config), config, clock, log });
  await bootstrapAdmin(app.deps);
  const admin = toUser((await findUserRowByEmail(app.deps.db, config.adminEmail))!);
  const adminToken = (await createApiToken(app.deps, { user: admin }, { name: "test" })).token;
  const passwordHashCache = new Map<string, string>();

  const request: TestApp["request"] = async (method, url, as, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (as && "token" in as) h.authorization = `Bearer ${as.token}`;
    if (as && "cookie" in as) {
      h.cookie = `lockbox_session=${as.cookie}`;
      if (as.csrf) h["x-csrf-token"] = as.csrf;
    }
    const res = await app.server.inject({
      method: method as "GET",
      url,
      headers: h,
      ...(body === undefined ? {} : typeof body === "string" ? { payload: body } : { payload: body as object }),
    });
    let parsed: unknown = res.body;
    if ((res.headers["content-type"] ?? "").toString().includes("application/json") && res.body) parsed = res.json();
    return { status: res.statusCode, body: parsed as any, headers: res.headers as HttpResult["headers"] };
  };

  return {
    get app() {
      return app;
    },
    clock,
    database,
    logs,
    admin,
    adminToken,
    request,
    async user(roles, tenantId, name) {
      counter += 1;
      const password = `password-${counter}-long-enough`;
      // Argon2 is slow on purpose; tests reuse one hash per password pattern where they can.
      const passwordHash = passwordHashCache.get(password) ?? (await hashPassword(password));
      const user = await app.deps.db.transaction().execute((trx) =>
        insertUser(
          trx,
          {
            email: `user${counter}-${process.pid}@example.test`,
            name: name ?? `${roles.join("+")} ${counter}`,
            roles,
            tenantId,
            passwordHash,
          },
          clock.now(),
        ),
      );
      const { token } = await createApiToken(app.deps, { user }, { name: "test" });
      return { user, token, password };
    },
    async restart() {
      await app.close();
      app = await createApp({ db: connectDb(config), config, clock, log });
    },
    async close() {
      await app.close();
      if (!shared) await database.drop();
    },
  };
}
