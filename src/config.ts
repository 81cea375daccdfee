import path from "node:path";
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
});

export interface Config {
  port: number;
  host: string;
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
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("LOCKBOX_") && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  return {
    port: e.LOCKBOX_PORT,
    host: e.LOCKBOX_HOST,
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
  };
}
