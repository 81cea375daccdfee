import fs from "node:fs";
import readline from "node:readline";
import type { JSONWebKeySet } from "jose";
import type { AuditEvent } from "../audit/audit-event.js";
import { ChainVerifier } from "../audit/verify-chain.js";
import { SignedDecisionVerifier } from "../audit/verify-signed-decisions.js";
import { type CheckpointItem, verifyCheckpointSignatures } from "../audit/verify-checkpoints.js";
import { fail } from "./fail.js";
import { startProgress } from "./progress.js";

export interface VerifyOptions {
  /** A JWKS file or an http(s) URL serving one (e.g. /v1/audit/jwks.json). */
  jwks?: string;
  /** The JSON `GET /v1/audit/checkpoints` returns. */
  checkpoints?: string;
  /** The WebAuthn RP id of signed decisions (default: each assertion's origin host). */
  rpId?: string;
}

/**
 * Exit codes: 0 the chain (and every given checkpoint) verifies; 1 it does not — one line names
 * the first bad seq and why; 2 a file cannot be read or the options do not fit.
 */
export async function auditVerify(file: string, options: VerifyOptions = {}, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (!fs.existsSync(file)) fail(`cannot read ${file}: no such file`, 2);
  const checkpoints = options.checkpoints ? await loadCheckpoints(options.checkpoints, options.jwks) : [];
  const verifier = new ChainVerifier(new Map(checkpoints.map((c) => [c.seq, c.hash])));
  const input = fs.createReadStream(file);
  // Only on a terminal (stderr); measured in bytes read, so it needs no first pass over the file.
  const progress = startProgress({ label: "verifying", total: fs.statSync(file).size, unit: "bytes" });
  input.on("data", (chunk) => progress.advance(chunk.length));
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const signed = new SignedDecisionVerifier(options.rpId ? { rpId: options.rpId } : {});
  const broken = (fault: { seq: number | null; line: number; reason: string }): never => {
    lines.close();
    return fail(`chain broken at seq ${fault.seq} (line ${fault.line}): ${fault.reason}`, 1);
  };
  try {
    for await (const line of lines) {
      const fault = verifier.pushLine(line);
      if (fault) broken(fault);
      // The line is sound JSON of the chain by now; its signed decisions are checked next (SPEC 15).
      const unsigned = line.trim() === "" ? undefined : signed.push(JSON.parse(line) as AuditEvent);
      if (unsigned) {
        lines.close();
        fail(`signed decision broken at seq ${unsigned.seq}: ${unsigned.reason}`, 1);
      }
    }
  } finally {
    progress.stop();
  }
  const head = verifier.head;
  if (verifier.count === 0) fail(`${file} holds no audit events`, 1);
  const tail = verifier.finish();
  if (tail) broken(tail);
  if (checkpoints.some((c) => c.chain !== head.chain)) fail(`the checkpoints are not of chain ${head.chain}`, 1);
  const signedCheckpoints = checkpoints.length ? `, ${checkpoints.length} signed checkpoints match` : "";
  out.write(
    `Verified ${verifier.count} events of chain ${head.chain} (seq ${head.seq - verifier.count + 1}–${head.seq}): every hash matches and none is missing${signedCheckpoints}. Head hash ${head.hash}.\n`,
  );
  out.write(`${signed.count} signed decisions verified.\n`);
}

async function loadCheckpoints(file: string, jwksSource: string | undefined): Promise<CheckpointItem[]> {
  if (!jwksSource) fail("--checkpoints needs --jwks to check their signatures", 2);
  let items: CheckpointItem[];
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { items?: CheckpointItem[] };
    if (!Array.isArray(parsed.items)) throw new Error("no items");
    items = parsed.items;
  } catch (err) {
    return fail(`cannot read checkpoints from ${file}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
  const jwks = await loadJwks(jwksSource);
  const fault = await verifyCheckpointSignatures(items, jwks, undefined);
  if (fault) fail(`chain broken at seq ${fault.seq}: ${fault.reason}`, 1);
  return items;
}

async function loadJwks(source: string): Promise<JSONWebKeySet> {
  try {
    if (/^https?:\/\//.test(source)) {
      const res = await fetch(source);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as JSONWebKeySet;
    }
    return JSON.parse(fs.readFileSync(source, "utf8")) as JSONWebKeySet;
  } catch (err) {
    return fail(`cannot read the JWKS from ${source}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
}
