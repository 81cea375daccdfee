import fs from "node:fs";
import path from "node:path";
import { verifyConsistency } from "../audit/merkle.js";
import { type NoteVerifier, openNote, parseCheckpoint, parseVerifierKey } from "../audit/notes.js";
import { InclusionVerifier } from "../audit/verify-inclusion.js";
import { readLogKeys } from "./audit-verify-proofs.js";
import { type ApiClient, failureOf } from "./client/api-client.js";
import { CliError, fail } from "./fail.js";

export interface MonitorOptions {
  chain: string;
  state: string;
  /** Seconds between checks; without it, one check and exit. */
  interval?: number;
  alertWebhook?: string;
  /** Pin this log key on the first run instead of trusting the server's GET /v1/audit/log-key. */
  logKey?: string;
}

/** What the monitor keeps between runs: the pinned keys and the last checkpoint it accepted. */
interface MonitorState {
  server: string;
  chain: string;
  logKeys: string[];
  size: number;
  root: string;
  checkpoint: string;
  acceptedAt: string;
}

const MAX_TEXT = 65_536;

/**
 * `lockbox audit monitor`: the customer's own watcher (SPEC §16). It keeps the last checkpoint it
 * accepted and accepts a new one only if it is signed by a pinned log key and a consistency proof
 * shows the old tree is a prefix of the new one. A fork (same size, other root; or a proof that
 * fails) or a shrink exits 1 at once — after posting the evidence to the alert webhook — and the
 * state file keeps the last good checkpoint, so the evidence survives.
 */
export async function auditMonitor(client: ApiClient, options: MonitorOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  for (;;) {
    try {
      await checkOnce(client, options, out);
    } catch (err) {
      // An unreachable server is not a fork: keep watching when looping, report when run once.
      const transient = err instanceof CliError && err.exitCode !== 2 && !err.message.startsWith("ALERT");
      if (options.interval === undefined || !transient) throw err;
      process.stderr.write(`lockbox: ${err.message}; trying again in ${options.interval} s\n`);
    }
    if (options.interval === undefined) return;
    await new Promise((r) => setTimeout(r, options.interval! * 1000));
  }
}

async function getText(client: ApiClient, url: string, query: Record<string, string | number>): Promise<string> {
  const res = await client.send("GET", url, { query });
  if (!res.ok) throw await failureOf(res, client.server);
  return (await res.text()).slice(0, MAX_TEXT);
}

function readState(file: string): MonitorState | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as MonitorState;
  } catch (err) {
    return fail(`cannot read the state file ${file}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
}

function writeState(file: string, state: MonitorState): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

async function checkOnce(client: ApiClient, options: MonitorOptions, out: NodeJS.WritableStream): Promise<void> {
  const old = readState(options.state);
  if (old && old.chain !== options.chain) fail(`${options.state} watches chain ${old.chain}, not ${options.chain}`, 2);
  let keys: NoteVerifier[];
  if (old) keys = old.logKeys.map((k) => parseVerifierKey(k));
  else if (options.logKey) keys = readLogKeys(options.logKey);
  else {
    // Trust on first use: the key is pinned from now on; a key the server later swaps is refused.
    const text = await getText(client, "/v1/audit/log-key", {});
    keys = readLogKeys(text);
    process.stderr.write(`lockbox: pinned the log key ${text.trim().split("\n")[0]} (first use); pass --log-key to pin one you checked\n`);
  }
  const note = await getText(client, "/v1/audit/checkpoint", { chain: options.chain });
  const alert = async (reason: string): Promise<never> => {
    const evidence = `${options.state}.evidence-${Date.now()}.txt`;
    fs.writeFileSync(evidence, `${reason}\n\n# accepted before\n${old?.checkpoint ?? ""}\n# served now\n${note}`, { mode: 0o600 });
    if (options.alertWebhook) await postAlert(options.alertWebhook, { chain: options.chain, server: client.server, reason, accepted: old?.checkpoint ?? null, served: note });
    return fail(`ALERT ${options.chain}: ${reason} (evidence in ${evidence})`, 1);
  };
  if (note === "") {
    // 204: nothing signed yet. Fine at first; after a checkpoint was accepted it is a vanished log.
    if (old) return alert(`the log shrank: no checkpoint is served after size ${old.size} was accepted`);
    out.write(`waiting: ${options.chain} has no signed checkpoint yet\n`);
    return;
  }
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(openNote(note, keys).text);
  } catch (err) {
    return alert(`the checkpoint does not verify with the pinned log key: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (InclusionVerifier.chainOfOrigin(checkpoint.origin) !== options.chain) return alert(`the checkpoint's origin ${checkpoint.origin} is not chain ${options.chain}`);
  if (old) {
    const oldRoot = Buffer.from(old.root, "base64");
    if (checkpoint.size < old.size) return alert(`the log shrank: size ${checkpoint.size} after ${old.size} was accepted`);
    if (checkpoint.size === old.size && !checkpoint.root.equals(oldRoot)) return alert(`the log forked: two roots for size ${old.size}`);
    if (checkpoint.size > old.size) {
      const body = JSON.parse(await getText(client, "/v1/audit/proof/consistency", { chain: options.chain, from: old.size, to: checkpoint.size })) as { proof?: unknown };
      const proof = Array.isArray(body.proof) ? body.proof.slice(0, 64).map((h) => Buffer.from(String(h), "base64")) : [];
      if (!verifyConsistency(old.size, checkpoint.size, proof, oldRoot, checkpoint.root)) {
        return alert(`the log forked: the checkpoint at size ${checkpoint.size} does not extend the one accepted at size ${old.size}`);
      }
    }
  }
  writeState(options.state, {
    server: client.server,
    chain: options.chain,
    logKeys: keys.map((k) => `${k.name}+${k.keyId.toString(16).padStart(8, "0")}+${Buffer.concat([Buffer.from([k.type]), k.raw]).toString("base64")}`),
    size: checkpoint.size,
    root: checkpoint.root.toString("base64"),
    checkpoint: note,
    acceptedAt: new Date().toISOString(),
  });
  out.write(`ok: ${options.chain} at size ${checkpoint.size}${old ? (old.size === checkpoint.size ? " (unchanged)" : ` (grew from ${old.size}, consistent)`) : " (first checkpoint accepted)"}\n`);
}

async function postAlert(url: string, body: Record<string, unknown>): Promise<void> {
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "audit_log.alert", ...body }), signal: AbortSignal.timeout(10_000) });
    if (!res.ok) process.stderr.write(`lockbox: the alert webhook answered ${res.status}\n`);
  } catch (err) {
    process.stderr.write(`lockbox: the alert webhook failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
