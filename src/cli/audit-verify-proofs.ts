import fs from "node:fs";
import readline from "node:readline";
import { parseVerifierKey, type NoteVerifier } from "../audit/notes.js";
import { InclusionVerifier } from "../audit/verify-inclusion.js";
import { connect } from "./client/connection.js";
import { failureOf } from "./client/api-client.js";
import { fail } from "./fail.js";
import { startProgress } from "./progress.js";

export interface ProofOptions {
  /** The signed checkpoint (GET /v1/audit/checkpoint) as a file. */
  checkpoint: string;
  /** A verifier key, or a file of them (GET /v1/audit/log-key). */
  logKey: string;
  /** Fetch each inclusion proof from this server (credentials as for the client commands). */
  server?: string;
  /** Inclusion proofs as JSON lines `{chain, seq, size, proof}`, in the export's order. */
  proofs?: string;
}

const PARALLEL = 16;

export function readLogKeys(source: string): NoteVerifier[] {
  const text = fs.existsSync(source) ? fs.readFileSync(source, "utf8").slice(0, 65_536) : source;
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  try {
    if (lines.length === 0) throw new Error("no key");
    return lines.map(parseVerifierKey);
  } catch (err) {
    return fail(`cannot read the log key from ${source}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
}

/**
 * `lockbox audit verify FILE --checkpoint NOTE --log-key KEY (--server URL | --proofs FILE)`:
 * proves every line of an export that may start at any seq against a signed checkpoint. Exit
 * codes as for the full-chain verification: 0 verified, 1 a line does not prove (named by seq),
 * 2 unreadable input.
 */
export async function auditVerifyWithProofs(file: string, options: ProofOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (!fs.existsSync(file)) fail(`cannot read ${file}: no such file`, 2);
  if (!fs.existsSync(options.checkpoint)) fail(`cannot read ${options.checkpoint}: no such file`, 2);
  if (!options.server === !options.proofs) fail("give the inclusion proofs with exactly one of --server URL or --proofs FILE", 2);
  const keys = readLogKeys(options.logKey);
  let verifier: InclusionVerifier;
  try {
    verifier = new InclusionVerifier(fs.readFileSync(options.checkpoint, "utf8").slice(0, 65_536), keys);
  } catch (err) {
    return fail(`the checkpoint does not verify: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  const size = verifier.checkpoint.size;
  const nextProof = options.proofs ? proofsFromFile(options.proofs, size) : proofsFromServer(options.server!, size);
  const input = fs.createReadStream(file);
  const progress = startProgress({ label: "proving", total: fs.statSync(file).size, unit: "bytes" });
  input.on("data", (chunk) => progress.advance(chunk.length));
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const broken = (f: { seq: number | null; line: number; reason: string }): never => {
    lines.close();
    return fail(`not proven at seq ${f.seq} (line ${f.line}): ${f.reason}`, 1);
  };
  let batch: { seq: number; leaf: Buffer; chain: string }[] = [];
  const flush = async () => {
    const proofs = await Promise.all(batch.map((e) => nextProof(e.chain, e.seq)));
    batch.forEach((e, i) => {
      const fault = verifier.prove(e.seq, e.leaf, proofs[i]!);
      if (fault) broken(fault);
    });
    batch = [];
  };
  try {
    for await (const line of lines) {
      const r = verifier.pushLine(line);
      if (!r) continue;
      if ("fault" in r) broken(r.fault);
      else batch.push(r);
      if (batch.length >= PARALLEL) await flush();
    }
    await flush();
  } finally {
    progress.stop();
  }
  if (verifier.count === 0) fail(`${file} holds no audit events`, 1);
  out.write(
    `ok: ${verifier.count} events (seq ${verifier.first}…${verifier.lastSeq}) are in the log of ${verifier.checkpoint.origin} at size ${size}, signed by ${keys[0]!.name}\n`,
  );
}

function decodeProof(list: unknown, where: string): Buffer[] {
  if (!Array.isArray(list) || list.length > 63 || !list.every((h) => typeof h === "string" && h.length <= 44)) {
    return fail(`${where}: not an inclusion proof`, 2);
  }
  return list.map((h: string) => Buffer.from(h, "base64"));
}

function proofsFromServer(server: string, size: number): (chain: string, seq: number) => Promise<Buffer[]> {
  const client = connect({ server });
  return async (chain, seq) => {
    const res = await client.send("GET", "/v1/audit/proof/inclusion", { query: { chain, seq, size } });
    if (!res.ok) throw await failureOf(res, client.server);
    const body = (await res.json()) as { proof?: unknown };
    return decodeProof(body.proof, `the server's proof for seq ${seq}`);
  };
}

/** Reads the proofs file in step with the export: line n proves the export's n-th event. */
function proofsFromFile(file: string, size: number): (chain: string, seq: number) => Promise<Buffer[]> {
  if (!fs.existsSync(file)) fail(`cannot read ${file}: no such file`, 2);
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })[Symbol.asyncIterator]();
  let queue = Promise.resolve<Buffer[]>([]);
  // Calls come in export order (a batch at a time); chaining keeps the file read in that order.
  return (chain, seq) => {
    queue = queue.then(async () => {
      for (;;) {
        const next = await lines.next();
        if (next.done) return fail(`${file} has no proof for seq ${seq}`, 1);
        if (next.value.trim() === "") continue;
        let item: { chain?: unknown; seq?: unknown; size?: unknown; proof?: unknown };
        try {
          item = JSON.parse(next.value) as typeof item;
        } catch {
          return fail(`${file}: a line is not JSON`, 2);
        }
        if (item.seq !== seq || item.chain !== chain) return fail(`${file}: expected the proof of ${chain} seq ${seq}, found seq ${String(item.seq)}`, 1);
        if (item.size !== size) return fail(`${file}: the proof of seq ${seq} is for size ${String(item.size)}, the checkpoint's is ${size}`, 1);
        return decodeProof(item.proof, `${file} seq ${seq}`);
      }
    });
    return queue;
  };
}
