import { spawn } from "node:child_process";
import fs from "node:fs";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { startTestApp, type TestApp } from "./test-app.js";
import { buildWorld, type World } from "./world.js";

/** What one `lockbox …` subprocess left behind. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** HOME for the subprocess, with XDG_CONFIG_HOME under it; without one, HOME is the system temp dir and XDG is unset. */
  home?: string;
  /** Added after the defaults, so a test can override one (e.g. NO_COLOR: ""). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
}

const repoRoot = path.resolve(import.meta.dirname, "..", "..");

/**
 * Runs the real CLI (`node --import tsx src/cli/main.ts …`) with a clean environment: no
 * inherited LOCKBOX_* variables, no colour, UTC. A hung child is killed after 30 s so the test
 * fails instead of stalling the suite.
 */
export function runLockbox(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const base: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: options.home ?? os.tmpdir() };
  if (options.home !== undefined) base.XDG_CONFIG_HOME = path.join(options.home, "config");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: repoRoot,
      env: { ...base, NO_COLOR: "1", TZ: "UTC", ...options.env },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    // stdout and stderr are always piped (only stdin varies), so both streams exist.
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(options.input);
  });
}

/** A test app with the standard world, listening on a real port, and a scratch HOME for the CLI. */
export interface CliWorld {
  t: TestApp;
  w: World;
  /** http://127.0.0.1:PORT */
  server: string;
  home: string;
  close(): Promise<void>;
}

export async function startCliWorld(homePrefix: string, env: Record<string, string> = {}): Promise<CliWorld> {
  const t = await startTestApp(env);
  const w = await buildWorld(t);
  await t.app.server.listen({ port: 0, host: "127.0.0.1" });
  const server = `http://127.0.0.1:${(t.app.server.server.address() as net.AddressInfo).port}`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), homePrefix));
  return {
    t,
    w,
    server,
    home,
    async close() {
      await t.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
