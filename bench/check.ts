/**
 * `npm run bench:check` — not a test: measures, on this machine, in one run,
 *  1. POST /v1/access/check (real app, service credential, answer from the grant index) against
 *     a bare Fastify route answering constant JSON: requests/s and p99 latency, and the ratio;
 *  2. SDK offline verification (createVerifier().verify) against plain jose EdDSA jwtVerify.
 * The check is measured on the machine listener (LOCKBOX_MACHINE_PORT, the lean path) and on the
 * main one, half the checks allowed and half refused (proven from memory, no database read).
 * Targets: check on the machine port ≥ 0.8 × bare Fastify (SPEC §18); SDK ≥ 0.8 × plain jose.
 * BENCH_SECONDS (default 10), BENCH_CONNECTIONS (50) and BENCH_ROUNDS (2) tune the HTTP runs;
 * BENCH_SKIP_SDK=1 skips the SDK part; see docs/performance.md.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { createVerifier } from "../src/sdk/index.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const here = path.dirname(fileURLToPath(import.meta.url));

interface ServerInfo {
  port: number;
  machinePort?: number;
  token: string;
  body: unknown;
  refusedBody: unknown;
}

function startServer(kind: "lockbox" | "bare"): Promise<{ child: ChildProcess; info: ServerInfo }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "check-server.ts"), kind], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, info: JSON.parse(line) as ServerInfo });
    });
    child.on("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

type Run = { rps: number; p99: number; non2xx: number; cpuUs: number };

/** CPU time (user + system) a process has used, in µs, from /proc (Linux); NaN elsewhere. */
function cpuOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // clock ticks at USER_HZ = 100
  } catch {
    return NaN;
  }
}

/**
 * Half the checks are allowed, half refused (the `requests` list alternates per connection).
 * Besides requests/s (which on a shared machine depends on what else runs), the server's own
 * CPU time per answered request: what the code costs, whatever the load around it.
 */
async function load(info: ServerInfo, port: number, duration = seconds, pid?: number): Promise<Run> {
  const cpuBefore = pid ? cpuOf(pid) : NaN;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    headers: { "content-type": "application/json", ...(info.token ? { authorization: `Bearer ${info.token}` } : {}) },
    requests: [
      { method: "POST", path: "/v1/access/check", body: JSON.stringify(info.body) },
      { method: "POST", path: "/v1/access/check", body: JSON.stringify(info.refusedBody) },
    ],
  });
  const cpuUs = (cpuOf(pid ?? 0) - cpuBefore) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx, cpuUs };
}

async function httpBench() {
  const bare = await startServer("bare");
  const lockbox = await startServer("lockbox");
  try {
    // The answers are what they should be: one allowed, one refused (no_active_grant).
    for (const [port, label] of [
      [lockbox.info.port, "main"],
      [lockbox.info.machinePort!, "machine"],
    ] as const) {
      const ask = async (body: unknown) =>
        (await fetch(`http://127.0.0.1:${port}/v1/access/check`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${lockbox.info.token}` },
          body: JSON.stringify(body),
        }).then((r) => r.json())) as { allowed: boolean; reason: string };
      const [a, r] = [await ask(lockbox.info.body), await ask(lockbox.info.refusedBody)];
      if (!a.allowed || r.allowed || r.reason !== "no_active_grant") throw new Error(`${label} port answers wrongly: ${JSON.stringify([a, r])}`);
    }
    // A short warm-up for each (JIT), then the measured runs back to back.
    await load(bare.info, bare.info.port, 2);
    await load(lockbox.info, lockbox.info.port, 2);
    await load(lockbox.info, lockbox.info.machinePort!, 2);
    // Two rounds, alternating, best of each: on a shared machine the least disturbed run is the
    // closest to what the code can do, and alternating exposes all three to the same drift.
    const bares: Run[] = [];
    const mains: Run[] = [];
    const machines: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      bares.push(await load(bare.info, bare.info.port, seconds, bare.child.pid));
      machines.push(await load(lockbox.info, lockbox.info.machinePort!, seconds, lockbox.child.pid));
      mains.push(await load(lockbox.info, lockbox.info.port, seconds, lockbox.child.pid));
    }
    const best = (runs: Run[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    if ([...mains, ...machines].some((l) => l.non2xx > 0)) throw new Error("the access check answered non-2xx responses");
    return { bare: best(bares), main: best(mains), machine: best(machines), all: { bares, mains, machines } };
  } finally {
    bare.child.kill();
    lockbox.child.kill();
  }
}

async function verifyBench() {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "bench", alg: "EdDSA" };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ tenant: "t1", services: ["mail"], access: "read", rid: "r1", ticket: "T-1" })
    .setProtectedHeader({ alg: "EdDSA", kid: "bench" })
    .setIssuer("https://lockbox.example")
    .setSubject("u1")
    .setAudience("lockbox")
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  // With revocation tracking on, as a gateway runs it; the feed is a stub that never revokes, so
  // only the per-verify revocation lookup is measured, not the (background) polling.
  const verifier = createVerifier({
    jwks: { keys: [jwk] },
    issuer: "https://lockbox.example",
    server: "http://lockbox.invalid",
    token: "lbs_bench",
    revocationPollMs: 60_000,
    fetch: async () => new Response(JSON.stringify({ items: [], nextCursor: "0" }), { headers: { "content-type": "application/json" } }),
  });
  await verifier.ready();
  const need = { tenant: "t1", service: "mail", access: "read" as const };

  const rate = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 2000; i++) await fn(); // warm-up
    const end = performance.now() + Math.max(1, seconds / 3) * 1000;
    let n = 0;
    const start = performance.now();
    while (performance.now() < end) {
      for (let i = 0; i < 500; i++) await fn();
      n += 500;
    }
    return n / ((performance.now() - start) / 1000);
  };
  // The plain-jose baseline: the same token, the key imported from the same JWK, the same checks
  // jose itself offers (audience, issuer, algorithm, time).
  const key = await importJWK(jwk, "EdDSA");
  const plain = () => jwtVerify(token, key, { audience: "lockbox", issuer: "https://lockbox.example", algorithms: ["EdDSA"] });
  const sdk = () => verifier.verify(token, need);
  // Three alternating rounds, best of each, for the same reason as the HTTP runs.
  const joseRuns: number[] = [];
  const sdkRuns: number[] = [];
  for (let round = 0; round < 3; round++) {
    joseRuns.push(await rate(plain));
    sdkRuns.push(await rate(sdk));
  }
  await verifier.close();
  return { jose: Math.max(...joseRuns), sdk: Math.max(...sdkRuns) };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
process.stdout.write(`lockbox bench:check — ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}\n`);
process.stdout.write(`HTTP: ${connections} connections, ${rounds} rounds × ${seconds} s per target, best of each (autocannon); half the checks allowed, half refused\n`);
const http = await httpBench();
const line = (label: string, r: Run) =>
  process.stdout.write(
    `  ${label.padEnd(34)} ${fmt(r.rps).padStart(9)} req/s   p99 ${r.p99} ms   server CPU ${r.cpuUs.toFixed(1)} µs/request` +
      `${r === http.bare ? "" : `   (${(r.rps / http.bare.rps).toFixed(2)} × bare req/s, ${(http.bare.cpuUs / r.cpuUs).toFixed(2)} × bare by CPU)`}\n`,
  );
line("bare Fastify", http.bare);
line("check, machine port (lean path)", http.machine);
line("check, main port", http.main);
process.stdout.write(`  every round (req/s): bare ${http.all.bares.map((r) => fmt(r.rps)).join(" / ")}; machine ${http.all.machines.map((r) => fmt(r.rps)).join(" / ")}; main ${http.all.mains.map((r) => fmt(r.rps)).join(" / ")}\n`);
const ratio = http.machine.rps / http.bare.rps;
process.stdout.write(`  ratio machine/bare ${ratio.toFixed(2)}  (target ≥ 0.80) ${ratio >= 0.8 ? "OK" : "BELOW TARGET"}\n`);
if (process.env.BENCH_SKIP_SDK) process.exit(0);
const v = await verifyBench();
const vr = v.sdk / v.jose;
process.stdout.write(`Offline verification (one core):\n`);
process.stdout.write(`  plain jose jwtVerify  ${fmt(v.jose).padStart(9)} /s\n`);
process.stdout.write(`  SDK verifier.verify   ${fmt(v.sdk).padStart(9)} /s\n`);
process.stdout.write(`  ratio sdk/jose ${vr.toFixed(2)}  (target ≥ 0.80) ${vr >= 0.8 ? "OK" : "BELOW TARGET"}\n`);
