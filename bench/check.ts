/**
 * `npm run bench:check` — not a test: measures, on this machine, in one run,
 *  1. POST /v1/access/check (real app, service credential, answer from the grant index) against
 *     a bare Fastify route answering constant JSON: requests/s and p99 latency, and the ratio;
 *  2. SDK offline verification (createVerifier().verify) against plain jose EdDSA jwtVerify.
 * Targets: check ≥ 0.5 × bare Fastify; SDK ≥ 0.8 × plain jose. BENCH_SECONDS (default 10) and
 * BENCH_CONNECTIONS (default 50) tune the HTTP runs; see docs/performance.md.
 */
import { type ChildProcess, spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { createVerifier } from "../src/sdk/index.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const here = path.dirname(fileURLToPath(import.meta.url));

interface ServerInfo {
  port: number;
  token: string;
  body: unknown;
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

async function load(info: ServerInfo, duration = seconds): Promise<{ rps: number; p99: number; non2xx: number }> {
  const result = await autocannon({
    url: `http://127.0.0.1:${info.port}/v1/access/check`,
    method: "POST",
    connections,
    duration,
    headers: { "content-type": "application/json", ...(info.token ? { authorization: `Bearer ${info.token}` } : {}) },
    body: JSON.stringify(info.body),
  });
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx };
}

async function httpBench() {
  const bare = await startServer("bare");
  const lockbox = await startServer("lockbox");
  try {
    // A short warm-up for each (JIT), then the measured runs back to back.
    await load(bare.info, 2);
    await load(lockbox.info, 2);
    // Two rounds, alternating, best of each: on a shared machine the least disturbed run is the
    // closest to what the code can do, and alternating exposes both to the same drift.
    const bares = [];
    const checks = [];
    for (let round = 0; round < 2; round++) {
      bares.push(await load(bare.info));
      checks.push(await load(lockbox.info));
    }
    const best = (runs: Awaited<ReturnType<typeof load>>[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    if (checks.some((l) => l.non2xx > 0)) throw new Error("the access check answered non-2xx responses");
    return { bare: best(bares), check: best(checks) };
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
process.stdout.write(`lockbox bench:check — ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, Node ${process.version}\n`);
process.stdout.write(`HTTP: ${connections} connections, 2 rounds × ${seconds} s per target, best of each (autocannon)\n`);
const http = await httpBench();
const ratio = http.check.rps / http.bare.rps;
process.stdout.write(`  bare Fastify     ${fmt(http.bare.rps).padStart(9)} req/s   p99 ${http.bare.p99} ms\n`);
process.stdout.write(`  /v1/access/check ${fmt(http.check.rps).padStart(9)} req/s   p99 ${http.check.p99} ms\n`);
process.stdout.write(`  ratio check/bare ${ratio.toFixed(2)}  (target ≥ 0.50) ${ratio >= 0.5 ? "OK" : "BELOW TARGET"}\n`);
const v = await verifyBench();
const vr = v.sdk / v.jose;
process.stdout.write(`Offline verification (one core):\n`);
process.stdout.write(`  plain jose jwtVerify  ${fmt(v.jose).padStart(9)} /s\n`);
process.stdout.write(`  SDK verifier.verify   ${fmt(v.sdk).padStart(9)} /s\n`);
process.stdout.write(`  ratio sdk/jose ${vr.toFixed(2)}  (target ≥ 0.80) ${vr >= 0.8 ? "OK" : "BELOW TARGET"}\n`);
