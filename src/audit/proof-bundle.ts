import { MAX_PROOF_HASHES } from "./merkle.js";

/** C2SP tlog-proof: an offline-verifiable proof that an entry is in a checkpointed tree. */
export interface ProofBundle {
  /** Lockbox puts the event's leaf data here (JCS of the event without its hash). */
  extra?: Buffer;
  index: number;
  proof: Buffer[];
  /** The signed checkpoint, verbatim (signatures included). */
  checkpoint: string;
}

export const PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export function formatProofBundle(b: ProofBundle): string {
  const extra = b.extra ? `extra ${b.extra.toString("base64")}\n` : "";
  return `${PROOF_HEADER}\n${extra}index ${b.index}\n${b.proof.map((h) => `${h.toString("base64")}\n`).join("")}\n${b.checkpoint}`;
}

export function parseProofBundle(text: string): ProofBundle {
  const lines = text.split("\n");
  if (lines[0] !== PROOF_HEADER) throw new Error(`not a ${PROOF_HEADER} proof`);
  let i = 1;
  let extra: Buffer | undefined;
  if (lines[i]?.startsWith("extra ")) {
    extra = Buffer.from(lines[i]!.slice(6), "base64");
    i += 1;
  }
  const index = /^index (0|[1-9][0-9]{0,15})$/.exec(lines[i] ?? "");
  if (!index) throw new Error("the proof has no index line");
  i += 1;
  const proof: Buffer[] = [];
  for (; lines[i] !== "" && i < lines.length; i++) {
    const hash = Buffer.from(lines[i]!, "base64");
    if (hash.length !== 32 || proof.length >= MAX_PROOF_HASHES) throw new Error("malformed inclusion proof");
    proof.push(hash);
  }
  if (lines[i] !== "") throw new Error("the proof has no checkpoint");
  return { extra, index: Number(index[1]), proof, checkpoint: lines.slice(i + 1).join("\n") };
}
