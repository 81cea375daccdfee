import path from "node:path";
import { isIP } from "node:net";
import { z } from "zod";

/**
 * Configuration comes from the environment only, validated once at start. A bad value stops the
 * process with one line naming the variable (see ConfigError), never a stack trace.
 */
const minutes = (fallback: number, max: number) =>
  z.coerce.number().int().min(15).max(max).default(fallback);

const envSchema = z.object({
  LOCKBOX_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOCKBOX_HOST: z.string().min(1).default("127.0.0.1"),
  /** The machine listener (SPEC §18): the three service routes only, on a port of their own. */
  LOCKBOX_MACHINE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOCKBOX_DATA_DIR: z.string().min(1).default("./data"),
  LOCKBOX_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  LOCKBOX_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOCKBOX_SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  LOCKBOX_SMTP_FROM: z.string().min(3).max(320).optional(),
  LOCKBOX_WEBHOOK_ALLOW_PRIVATE: z.enum(["0", "1", "true", "false"]).default("0"),
  LOCKBOX_SECRET: z.string().min(32, "must be at least 32 characters").max(1024).optional(),
  LOCKBOX_ADMIN_EMAIL: z.email().default("admin@lockbox.local"),
  LOCKBOX_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
  LOCKBOX_MANAGER_WINDOW_MINUTES: minutes(720, 7 * 24 * 60),
  LOCKBOX_MAX_APPROVAL_WINDOW_MINUTES: minutes(720, 7 * 24 * 60),
  LOCKBOX_MAX_ACCESS_MINUTES: minutes(240, 24 * 60),
  LOCKBOX_SWEEP_SECONDS: z.coerce.number().int().min(1).max(60).default(15),
  LOCKBOX_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Audit log witnesses (SPEC §16): `<verifier key>@<url>`, separated by commas or spaces. */
  LOCKBOX_WITNESSES: z
    .string()
    .max(8192)
    .regex(/^\s*([^\s+,@]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+@https?:\/\/[^\s,]+[\s,]*)+$/, "must list <witness verifier key>@<http(s) URL>, comma-separated")
    .optional(),
  LOCKBOX_TRUST_PROXY: z.string().max(4000).transform(parseTrustProxy).optional(),
  LOCKBOX_SQLITE_SYNCHRONOUS: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(["full", "normal"], { message: 'must be "full" or "normal"' }))
    .default("full"),
  // PostgreSQL pool and timeouts (SPEC §18); milliseconds; a timeout is answered 503 busy.
  LOCKBOX_PG_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  LOCKBOX_PG_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(10_000),
  LOCKBOX_PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  LOCKBOX_PG_LOCK_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
});

/** Names proxy-addr (Fastify's trustProxy) knows for whole ranges. */
const proxyRangeNames = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * LOCKBOX_TRUST_PROXY: a hop count ("1": the nearest proxy is trusted), or a comma list of the
 * proxies' addresses and CIDRs. Anything else, "true" included (it would let every client choose
 * its own address), is refused at start rather than silently trusting the wrong peer.
 */
function parseTrustProxy(value: string, ctx: z.RefinementCtx): number | string[] {
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops >= 1 && hops <= 32) return hops;
    ctx.addIssue({ code: "custom", message: "must be a hop count from 1 to 32 or a list of addresses/CIDRs" });
    return z.NEVER;
  }
  const items = value.split(",").map((s) => s.trim());
  const bad = items.find((item) => !proxyRangeNames.has(item) && !isAddressOrCidr(item));
  if (bad !== undefined) {
    ctx.addIssue({ code: "custom", message: `must be a hop count or a comma list of addresses/CIDRs; not ${JSON.stringify(bad)}` });
    return z.NEVER;
  }
  return items;
}

function isAddressOrCidr(item: string): boolean {
  const [address = "", prefix, ...rest] = item.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export interface Config {
  port: number;
  host: string;
  /** LOCKBOX_MACHINE_PORT: the lean listener for check, activity and revocations; unset, none. */
  machinePort?: number;
  dataDir: string;
  databaseUrl?: string;
  publicUrl: string;
  smtpUrl?: string;
  /** From header of every mail; default "Lockbox <lockbox@<public host>>". */
  smtpFrom: string;
  /** Lets webhooks target loopback/private addresses (tests, closed networks); off by default. */
  webhookAllowPrivate: boolean;
  /** Encrypts signing keys at rest; without it a key file in the data folder is used. Never logged. */
  secret?: string;
  adminEmail: string;
  adminPassword?: string;
  managerWindowMinutes: number;
  maxApprovalWindowMinutes: number;
  maxAccessMinutes: number;
  sweepSeconds: number;
  logLevel: string;
  /** LOCKBOX_WITNESSES as given; parsed by src/audit/witness-client.ts. */
  witnesses?: string;
  /**
   * The proxies in front (LOCKBOX_TRUST_PROXY): Fastify's `trustProxy`, so `request.ip` is the
   * client from X-Forwarded-For. Unset, the socket address is the client and the header is ignored.
   */
  trustProxy?: number | string[];
  /** SQLite's `synchronous` pragma: "full" (an answered write survives power loss) or "normal". */
  sqliteSynchronous: "full" | "normal";
  pgPoolSize: number;
  pgAcquireTimeoutMs: number;
  /** 0: no limit. */
  pgStatementTimeoutMs: number;
  pgLockTimeoutMs: number;
}

/**
 * zod's own words ("Invalid input: expected number, received NaN") mean nothing to whoever set
 * the variable; numbers and the port are said as a sentence with the value given.
 */
function readableIssue(name: string, issue: z.core.$ZodIssue, raw: string | undefined): string {
  const given = raw === undefined ? "" : `, not ${JSON.stringify(raw)}`;
  if (name === "LOCKBOX_PORT" || name === "LOCKBOX_MACHINE_PORT") return `must be a port number from 0 to 65535${given}.`;
  if (issue.code === "invalid_type" && (issue.expected === "number" || issue.expected === "int")) return `must be a whole number${given}.`;
  return issue.message;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("LOCKBOX_") && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ConfigError(`invalid configuration: ${name} ${readableIssue(name, issue, present[name])}`);
  }
  const e = parsed.data;
  return {
    port: e.LOCKBOX_PORT,
    host: e.LOCKBOX_HOST,
    ...(e.LOCKBOX_MACHINE_PORT === undefined ? {} : { machinePort: e.LOCKBOX_MACHINE_PORT }),
    dataDir: path.resolve(e.LOCKBOX_DATA_DIR),
    databaseUrl: e.LOCKBOX_DATABASE_URL,
    publicUrl: (e.LOCKBOX_PUBLIC_URL ?? `http://localhost:${e.LOCKBOX_PORT}`).replace(/\/$/, ""),
    smtpUrl: e.LOCKBOX_SMTP_URL,
    smtpFrom: e.LOCKBOX_SMTP_FROM ?? `Lockbox <lockbox@${new URL(e.LOCKBOX_PUBLIC_URL ?? "http://localhost").hostname}>`,
    webhookAllowPrivate: e.LOCKBOX_WEBHOOK_ALLOW_PRIVATE === "1" || e.LOCKBOX_WEBHOOK_ALLOW_PRIVATE === "true",
    secret: e.LOCKBOX_SECRET,
    adminEmail: e.LOCKBOX_ADMIN_EMAIL.toLowerCase(),
    adminPassword: e.LOCKBOX_ADMIN_PASSWORD,
    managerWindowMinutes: e.LOCKBOX_MANAGER_WINDOW_MINUTES,
    maxApprovalWindowMinutes: e.LOCKBOX_MAX_APPROVAL_WINDOW_MINUTES,
    maxAccessMinutes: e.LOCKBOX_MAX_ACCESS_MINUTES,
    sweepSeconds: e.LOCKBOX_SWEEP_SECONDS,
    logLevel: e.LOCKBOX_LOG_LEVEL,
    witnesses: e.LOCKBOX_WITNESSES,
    ...(e.LOCKBOX_TRUST_PROXY === undefined ? {} : { trustProxy: e.LOCKBOX_TRUST_PROXY }),
    sqliteSynchronous: e.LOCKBOX_SQLITE_SYNCHRONOUS,
    pgPoolSize: e.LOCKBOX_PG_POOL_SIZE,
    pgAcquireTimeoutMs: e.LOCKBOX_PG_ACQUIRE_TIMEOUT_MS,
    pgStatementTimeoutMs: e.LOCKBOX_PG_STATEMENT_TIMEOUT_MS,
    pgLockTimeoutMs: e.LOCKBOX_PG_LOCK_TIMEOUT_MS,
  };
}
