import { createHash } from "node:crypto";
import type { AuditEvent } from "./audit-event.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import { canonicalEvent } from "./merkle-store.js";
import { type CheckpointBody, type NoteVerifier, openNote, parseCheckpoint } from "./notes.js";
import type { ChainFault } from "./verify-chain.js";

/**
 * Verifies an export that need not start at seq 1 (SPEC §16): each event is proven to be leaf
 * seq−1 of the tree a signed checkpoint commits to, by an inclusion proof. Where consecutive lines
 * are consecutive seqs their prevHash link is checked too. One event at a time, constant memory.
 */
export class InclusionVerifier {
  readonly checkpoint: CheckpointBody;
  private chain: string | undefined;
  private last: { seq: number; hash: string } | undefined;
  private line = 0;
  count = 0;
  first: number | undefined;

  constructor(note: string, keys: readonly NoteVerifier[]) {
    this.checkpoint = parseCheckpoint(openNote(note, keys).text);
  }

  /** The chain a checkpoint origin speaks for: `…/audit/provider` or `…/audit/tenant/<id>`. */
  static chainOfOrigin(origin: string): string | undefined {
    const m = /\/audit\/(provider|tenant\/[^/]+)$/.exec(origin);
    return m ? (m[1] === "provider" ? "provider" : `tenant:${m[1]!.slice("tenant/".length)}`) : undefined;
  }

  /** Parses and checks one line; returns the event (with its leaf hash) to prove, or the fault. */
  pushLine(text: string): { fault: ChainFault } | { seq: number; leaf: Buffer; chain: string } | undefined {
    this.line += 1;
    if (text.trim() === "") return undefined;
    const fault = (reason: string, seq: number | null) => ({ fault: { seq, line: this.line, reason } });
    let event: AuditEvent;
    try {
      event = JSON.parse(text) as AuditEvent;
    } catch {
      return fault("line is not valid JSON", null);
    }
    if (typeof event !== "object" || event === null || !Number.isSafeInteger(event.seq) || typeof event.hash !== "string") {
      return fault("line is not an audit event", null);
    }
    const { seq } = event;
    this.chain ??= event.chain;
    if (event.chain !== this.chain) return fault(`event of chain ${event.chain} inside chain ${this.chain}`, seq);
    const expected = InclusionVerifier.chainOfOrigin(this.checkpoint.origin);
    if (event.chain !== expected) return fault(`the checkpoint is for ${this.checkpoint.origin}, not chain ${event.chain}`, seq);
    if (this.last && seq <= this.last.seq) return fault(`seq ${seq} is out of order`, seq);
    if (seq < 1 || seq > this.checkpoint.size) return fault(`seq ${seq} is beyond the checkpoint (size ${this.checkpoint.size})`, seq);
    const { hash, ...unsealed } = event;
    const data = Buffer.from(canonicalEvent(unsealed));
    if (createHash("sha256").update(data).digest("hex") !== hash) return fault("hash does not match the event's content", seq);
    if (this.last && seq === this.last.seq + 1 && event.prevHash !== this.last.hash) {
      return fault("prevHash does not match the previous event's hash", seq);
    }
    this.last = { seq, hash };
    this.first ??= seq;
    return { seq, leaf: leafHash(data), chain: event.chain };
  }

  /** Checks the inclusion proof of the event pushLine returned. */
  prove(seq: number, leaf: Buffer, proof: readonly Buffer[]): ChainFault | undefined {
    if (!verifyInclusion(seq - 1, this.checkpoint.size, leaf, proof, this.checkpoint.root)) {
      return { seq, line: this.line, reason: `the event is not in the log: its inclusion proof does not lead to the checkpoint's root (size ${this.checkpoint.size})` };
    }
    this.count += 1;
    return undefined;
  }

  get lastSeq(): number | undefined {
    return this.last?.seq;
  }
}
