import canonicalize from "canonicalize";
import type { AuditEvent } from "../../api/types";

export const GENESIS_HASH = "0".repeat(64);

export type ChainVerdict =
  | { ok: true; count: number; lastSeq: number; lastHash: string }
  | { ok: false; count: number; badSeq: number; problem: string };

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Re-checks a whole exported chain in the browser, trusting nothing the server says about it:
 * each hash is recomputed as SHA-256 over the RFC 8785 canonical JSON of the event without its
 * hash, each event must point at the previous one, and seq must count up from 1 without gaps.
 */
export async function verifyChain(jsonl: string): Promise<ChainVerdict> {
  const lines = jsonl.split("\n").filter((l) => l.trim() !== "");
  let prev = GENESIS_HASH;
  let count = 0;
  for (const [i, line] of lines.entries()) {
    const expectedSeq = i + 1;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      return { ok: false, count, badSeq: expectedSeq, problem: "a line is not valid JSON" };
    }
    if (event.seq !== expectedSeq) return { ok: false, count, badSeq: expectedSeq, problem: `expected seq ${expectedSeq}, found ${event.seq}` };
    if (event.prevHash !== prev) return { ok: false, count, badSeq: event.seq, problem: "it does not point at the previous event" };
    const { hash, ...unsealed } = event;
    const canonical = canonicalize(unsealed);
    if (canonical === undefined || (await sha256Hex(canonical)) !== hash) {
      return { ok: false, count, badSeq: event.seq, problem: "its content does not match its hash" };
    }
    prev = hash;
    count += 1;
  }
  return { ok: true, count, lastSeq: count, lastHash: prev };
}
