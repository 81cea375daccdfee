import type { Deps } from "../deps.js";
import type { NoteCheckpoint } from "./log-checkpoints.js";
import { proveConsistency } from "./merkle-store.js";
import { checkSignature, type NoteVerifier, parseNote, parseVerifierKey, KEY_TYPE_COSIGNATURE_V1 } from "./notes.js";

/** A witness the log sends its checkpoints to (LOCKBOX_WITNESSES). */
export interface Witness {
  vkey: string;
  key: NoteVerifier;
  url: string;
}

const TIMEOUT_MS = 10_000;

export function parseWitnesses(list: string | undefined): Witness[] {
  if (!list) return [];
  return list
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((item) => {
      const at = item.indexOf("@");
      const vkey = item.slice(0, at);
      const key = parseVerifierKey(vkey);
      if (key.type !== KEY_TYPE_COSIGNATURE_V1) throw new Error(`LOCKBOX_WITNESSES: ${key.name} is not a cosignature (0x04) key`);
      return { vkey, key, url: item.slice(at + 1).replace(/\/+$/, "") };
    });
}

/**
 * Sends a chain's newest checkpoint to every witness per C2SP tlog-witness — `old <size>` being
 * the last size this witness cosigned for the chain, with the consistency proof from it — and
 * stores the cosignatures that verify. A 409 names the witness's size: the request is sent once
 * more from that size. A witness that is down or refuses costs a log line, never the checkpoint.
 */
export async function sendToWitnesses(deps: Deps, witnesses: readonly Witness[], notes: NoteCheckpoint[]): Promise<void> {
  const checkpoint = notes.at(-1);
  if (!checkpoint || witnesses.length === 0) return;
  await Promise.all(witnesses.map((w) => sendOne(deps, w, checkpoint)));
}

async function sendOne(deps: Deps, witness: Witness, checkpoint: NoteCheckpoint): Promise<void> {
  const last = await deps.db
    .selectFrom("audit_cosignatures")
    .select((eb) => eb.fn.max("size").as("size"))
    .where("chain", "=", checkpoint.chain)
    .where("witness", "=", witness.vkey)
    .executeTakeFirst();
  let old = Number(last?.size ?? 0);
  for (let attempt = 0; attempt < 2; attempt++) {
    const proof = old > 0 && old < checkpoint.size ? await proveConsistency(deps.db, checkpoint.chain, old, checkpoint.size) : [];
    const body = `old ${old}\n${proof.map((h) => `${h.toString("base64")}\n`).join("")}\n${checkpoint.note}`;
    let res: Response;
    try {
      res = await fetch(`${witness.url}/add-checkpoint`, { method: "POST", body, headers: { "content-type": "text/plain" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      deps.log.warn({ err, witness: witness.key.name, chain: checkpoint.chain }, "witness unreachable");
      return;
    }
    const text = (await res.text()).slice(0, 16_384);
    if (res.status === 409 && attempt === 0) {
      const size = /^(0|[1-9][0-9]{0,15})\n?$/.exec(text)?.[1];
      if (size !== undefined && Number(size) <= checkpoint.size && Number(size) !== old) {
        old = Number(size);
        continue;
      }
      if (size !== undefined && Number(size) > checkpoint.size) {
        // The witness cosigned a bigger tree than this log now has: the log was rolled back
        // (a restored backup?) and every checkpoint it signs now is a fork to the witness.
        deps.log.error({ witness: witness.key.name, chain: checkpoint.chain, witnessSize: Number(size), size: checkpoint.size }, "a witness has cosigned a larger tree than the log holds");
        return;
      }
    }
    if (res.status !== 200) {
      deps.log.warn({ witness: witness.key.name, chain: checkpoint.chain, size: checkpoint.size, status: res.status, answer: text.slice(0, 200) }, "witness refused the checkpoint");
      return;
    }
    const noteText = parseNote(checkpoint.note).text;
    const lines = text.split("\n").filter(Boolean).map((line) => `${line}\n`);
    const valid = lines.find((line) => {
      try {
        const sig = parseNote(`${noteText}\n${line}`).signatures[0]!;
        return checkSignature(noteText, sig, witness.key);
      } catch {
        return false;
      }
    });
    if (!valid) {
      deps.log.warn({ witness: witness.key.name, chain: checkpoint.chain }, "witness answered without a valid cosignature");
      return;
    }
    await deps.db
      .insertInto("audit_cosignatures")
      .values({ chain: checkpoint.chain, size: checkpoint.size, witness: witness.vkey, line: valid, at: deps.clock.now().toISOString() })
      .onConflict((oc) => oc.columns(["chain", "size", "witness"]).doNothing())
      .execute();
    return;
  }
}
