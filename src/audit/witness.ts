import { EMPTY_ROOT, MAX_PROOF_HASHES, verifyConsistency } from "./merkle.js";
import { cosignatureLine, type NoteSigner, type NoteVerifier, openNote, parseCheckpoint, parseNote } from "./notes.js";

/**
 * A C2SP tlog-witness, pure: given its state, the logs it follows and an add-checkpoint request
 * body, the answer and the new state. The caller persists the state before answering and runs
 * one request at a time (the spec's race: check and update of the stored size are one step).
 */

export interface WitnessLog {
  origin: string;
  keys: NoteVerifier[];
}

/** Per origin, the latest checkpoint this witness cosigned. */
export type WitnessState = Record<string, { size: number; root: string }>;

export interface WitnessAnswer {
  status: number;
  contentType: string;
  body: string;
  state?: WitnessState;
}

const answer = (status: number, body: string, contentType = "text/plain; charset=utf-8"): WitnessAnswer => ({ status, body: `${body}\n`, contentType });

export function addCheckpoint(body: string, logs: readonly WitnessLog[], state: WitnessState, signer: NoteSigner, now: Date): WitnessAnswer {
  const split = body.indexOf("\n\n");
  if (split < 0) return answer(400, "the body is: old <size>, proof lines, an empty line, a checkpoint");
  const head = body.slice(0, split).split("\n");
  const old = /^old (0|[1-9][0-9]{0,15})$/.exec(head[0] ?? "");
  if (!old) return answer(400, "the first line must be old <size>");
  const oldSize = Number(old[1]);
  const proofLines = head.slice(1);
  if (proofLines.length > MAX_PROOF_HASHES) return answer(400, "too many proof lines");
  const proof = proofLines.map((l) => Buffer.from(l, "base64"));
  if (proof.some((p, i) => p.length !== 32 || p.toString("base64") !== proofLines[i])) return answer(400, "a proof line is not a base64 hash");
  const note = body.slice(split + 2);
  let text: string;
  let checkpoint;
  try {
    text = parseNote(note).text;
    checkpoint = parseCheckpoint(text);
  } catch (err) {
    return answer(400, `malformed checkpoint: ${err instanceof Error ? err.message : String(err)}`);
  }
  const log = logs.find((l) => l.origin === checkpoint.origin);
  if (!log) return answer(404, `unknown log ${checkpoint.origin}`);
  try {
    openNote(note, log.keys);
  } catch (err) {
    return answer(403, err instanceof Error ? err.message : String(err));
  }
  if (oldSize > checkpoint.size) return answer(400, "old size is beyond the checkpoint's size");
  const known = state[checkpoint.origin] ?? { size: 0, root: EMPTY_ROOT.toString("base64") };
  if (oldSize !== known.size) return answer(409, String(known.size), "text/x.tlog.size");
  if (checkpoint.size === 0 && !checkpoint.root.equals(EMPTY_ROOT)) return answer(422, "a checkpoint of size 0 must have the empty tree's root");
  if (oldSize === 0 && proof.length > 0) return answer(422, "a proof from size 0 must be empty");
  const knownRoot = Buffer.from(known.root, "base64");
  if (oldSize === checkpoint.size && !checkpoint.root.equals(knownRoot)) return answer(422, "the root differs from the one cosigned at this size");
  if (oldSize > 0 && oldSize < checkpoint.size && !verifyConsistency(oldSize, checkpoint.size, proof, knownRoot, checkpoint.root)) {
    return answer(422, "the consistency proof does not verify");
  }
  const line = cosignatureLine(text, signer, Math.floor(now.getTime() / 1000));
  return {
    status: 200,
    contentType: "text/plain; charset=utf-8",
    body: line,
    state: { ...state, [checkpoint.origin]: { size: checkpoint.size, root: checkpoint.root.toString("base64") } },
  };
}
