import { type AuditEvent, GENESIS_HASH, hashEvent } from "./audit-event.js";
import { findDuplicateKey } from "./duplicate-json-key.js";

export interface ChainFault {
  /** The first seq that does not check out (or the line number when no seq could be read). */
  seq: number | null;
  line: number;
  reason: string;
}

/**
 * Checks a chain one event at a time, holding only the previous event's seq and hash, so a file
 * of any length verifies in constant memory. Feed it every line in order, then call finish();
 * the first fault wins. With signed checkpoints (seq → hash, already verified), the event at
 * each checkpoint must carry its hash, and the chain must reach the last checkpoint.
 */
export class ChainVerifier {
  constructor(private readonly checkpoints: ReadonlyMap<number, string> = new Map()) {}

  private chain: string | undefined;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private line = 0;
  count = 0;

  /** Returns the fault this line reveals, if any. */
  pushLine(text: string): ChainFault | undefined {
    this.line += 1;
    if (text.trim() === "") return undefined;
    let event: AuditEvent;
    try {
      event = JSON.parse(text) as AuditEvent;
    } catch {
      return { seq: this.lastSeq + 1, line: this.line, reason: "line is not valid JSON" };
    }
    // JSON.parse kept the last of any repeated key; the line must not mean two things (SPEC 13).
    const duplicate = findDuplicateKey(text, event);
    if (duplicate) return { seq: this.lastSeq + 1, line: this.line, reason: `duplicate JSON key ${JSON.stringify(duplicate.path)}` };
    return this.push(event);
  }

  push(event: AuditEvent): ChainFault | undefined {
    const fault = (reason: string, seq: number | null = typeof event?.seq === "number" ? event.seq : null) => ({
      seq,
      line: this.line,
      reason,
    });
    if (typeof event !== "object" || event === null || typeof event.seq !== "number") {
      return fault("line is not an audit event", this.lastSeq + 1);
    }
    this.chain ??= event.chain;
    if (event.chain !== this.chain) return fault(`event of chain ${event.chain} inside chain ${this.chain}`);
    const expected = this.lastSeq + 1;
    if (event.seq !== expected) {
      return fault(
        event.seq > expected ? `seq ${expected} is missing (found ${event.seq})` : `seq ${event.seq} is out of order`,
        expected,
      );
    }
    const { hash, ...unsealed } = event;
    if (unsealed.prevHash !== this.lastHash) return fault("prevHash does not match the previous event's hash");
    if (hashEvent(unsealed) !== hash) return fault("hash does not match the event's content");
    const signed = this.checkpoints.get(event.seq);
    if (signed !== undefined && signed !== hash) return fault("event differs from the signed checkpoint at this seq");
    this.lastSeq = event.seq;
    this.lastHash = hash;
    this.count += 1;
    return undefined;
  }

  /** After the last line: a checkpoint beyond the last event proves events were cut from the end. */
  finish(): ChainFault | undefined {
    const beyond = [...this.checkpoints.keys()].filter((seq) => seq > this.lastSeq);
    if (beyond.length === 0) return undefined;
    return {
      seq: this.lastSeq + 1,
      line: this.line,
      reason: `events after seq ${this.lastSeq} are missing: a signed checkpoint covers seq ${Math.max(...beyond)}`,
    };
  }

  get head(): { chain: string | undefined; seq: number; hash: string } {
    return { chain: this.chain, seq: this.lastSeq, hash: this.lastHash };
  }
}
