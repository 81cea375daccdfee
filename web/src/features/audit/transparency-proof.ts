/**
 * The transparency log's checks, in the viewer's browser (WebCrypto only): open a checkpoint (a
 * C2SP signed note) with the log key, and check a tlog-proof bundle's inclusion proof against it.
 * Mirrors src/audit/notes.ts and merkle.ts; the server is trusted for nothing but the bytes.
 */

export interface OpenedCheckpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  rootBase64: string;
  signedBy: string;
  /** Key names of the further signature lines (witness cosignatures), not checked here. */
  cosigners: string[];
}

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
}

/** Opens a checkpoint with one of the log's verifier keys (`name+id+base64(0x01 ‖ key)` lines). */
export async function openCheckpoint(note: string, logKeys: string): Promise<OpenedCheckpoint> {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Error("the checkpoint has no signatures");
  const text = note.slice(0, split + 1);
  const sigs = note
    .slice(split + 2)
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
      if (!m) throw new Error("malformed signature line");
      return { name: m[1]!, sig: b64(m[2]!) };
    });
  for (const vkey of logKeys.split("\n").filter(Boolean)) {
    const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey.trim());
    if (!m) continue;
    const key = b64(m[3]!);
    if (key[0] !== 1 || key.length !== 33) continue;
    const sig = sigs.find((s) => s.name === m[1] && Array.from(s.sig.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("") === m[2]);
    if (!sig) continue;
    const publicKey = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, publicKey, sig.sig.slice(4), new TextEncoder().encode(text)))) {
      throw new Error(`the signature by ${m[1]} does not verify`);
    }
    const [origin = "", size = "", root = ""] = text.split("\n");
    return { origin, size: Number(size), root: b64(root), rootBase64: root, signedBy: m[1]!, cosigners: sigs.filter((s) => s !== sig).map((s) => s.name) };
  }
  throw new Error("the checkpoint is not signed by the log key");
}

/** RFC 9162 §2.1.3.2. */
export async function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (!(index >= 0 && index < size)) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = await sha256(new Uint8Array([0]), leaf);
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(new Uint8Array([1]), p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await sha256(new Uint8Array([1]), r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

export interface EventProof {
  seq: number;
  operation: string;
  checkpoint: OpenedCheckpoint;
  inLog: boolean;
}

/** Checks a tlog-proof bundle: its checkpoint with the log key, its leaf (the event) by inclusion. */
export async function checkEventProof(bundle: string, logKeys: string, eventId: string): Promise<EventProof> {
  const lines = bundle.split("\n");
  if (lines[0] !== "c2sp.org/tlog-proof@v1" || !lines[1]?.startsWith("extra ") || !lines[2]?.startsWith("index ")) {
    throw new Error("not a tlog-proof bundle");
  }
  const leaf = b64(lines[1].slice(6));
  const index = Number(lines[2].slice(6));
  const blank = lines.indexOf("", 3);
  const proof = lines.slice(3, blank).map(b64);
  const checkpoint = await openCheckpoint(lines.slice(blank + 1).join("\n"), logKeys);
  const event = JSON.parse(new TextDecoder().decode(leaf)) as { id: string; seq: number; operation: string };
  const inLog = event.id === eventId && event.seq === index + 1 && (await verifyInclusion(index, checkpoint.size, leaf, proof, checkpoint.root));
  return { seq: event.seq, operation: event.operation, checkpoint, inLog };
}
