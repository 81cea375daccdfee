import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";

/**
 * C2SP signed notes (signed-note), checkpoints (tlog-checkpoint) and Ed25519 cosignatures
 * (tlog-cosignature), byte-exact: Go's golang.org/x/mod/sumdb/note opens what this signs.
 * Pure: keys in, text out.
 */

export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE_V1 = 0x04;
/** Verifiers must accept 16 signatures; more than this is refused as a malformed note. */
export const MAX_SIGNATURES = 64;
export const MAX_NOTE_BYTES = 16_384;
const DASH = "\u2014";

export interface NoteVerifier {
  name: string;
  keyId: number;
  type: number;
  publicKey: KeyObject;
  /** The raw 32 bytes, for display and re-encoding. */
  raw: Buffer;
}

export interface NoteSigner extends NoteVerifier {
  privateKey: KeyObject;
}

export function keyIdOf(name: string, type: number, rawPublicKey: Uint8Array): number {
  const h = createHash("sha256").update(name).update("\n").update(Buffer.from([type])).update(rawPublicKey).digest();
  return h.readUInt32BE(0);
}

const hex8 = (id: number) => id.toString(16).padStart(8, "0");

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && !/[\s+\u2014]/u.test(name) && !/[\x00-\x1f]/.test(name);
}

export function rawEd25519Public(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" });
  return Buffer.from(jwk.x as string, "base64url");
}

export function ed25519PublicFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}

export function ed25519PrivateFromSeed(seed: Uint8Array): KeyObject {
  // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seed)]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

export function seedOf(privateKey: KeyObject): Buffer {
  return Buffer.from(privateKey.export({ format: "jwk" }).d as string, "base64url");
}

export function makeSigner(name: string, type: number, privateKey: KeyObject): NoteSigner {
  const publicKey = createPublicKey(privateKey);
  const raw = rawEd25519Public(publicKey);
  return { name, type, keyId: keyIdOf(name, type, raw), publicKey, raw, privateKey };
}

/** `<name>+<8 hex key id>+<base64(type ‖ public key)>`. */
export function formatVerifierKey(v: Pick<NoteVerifier, "name" | "keyId" | "type" | "raw">): string {
  return `${v.name}+${hex8(v.keyId)}+${Buffer.concat([Buffer.from([v.type]), v.raw]).toString("base64")}`;
}

/** Parses a verifier key line; throws with a reason. Accepts Ed25519 (0x01) and cosignature (0x04) keys. */
export function parseVerifierKey(text: string): NoteVerifier {
  // The base64 key may itself hold "+": split at the first two only (as Go's note.NewVerifier).
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(text.trim());
  if (!m) throw new Error("a verifier key is <name>+<key id>+<key>");
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) throw new Error("the verifier key's name is not valid");
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error("the verifier key's id is not 8 hex digits");
  const key = Buffer.from(keyB64, "base64");
  if (key.toString("base64") !== keyB64 || key.length !== 33) throw new Error("the verifier key is not base64 of a type byte and 32 bytes");
  const type = key[0]!;
  if (type !== KEY_TYPE_ED25519 && type !== KEY_TYPE_COSIGNATURE_V1) throw new Error(`unsupported verifier key type ${type}`);
  const raw = key.subarray(1);
  const keyId = Number.parseInt(idHex, 16);
  if (keyIdOf(name, type, raw) !== keyId) throw new Error("the verifier key's id does not match its name and key");
  return { name, keyId, type, raw, publicKey: ed25519PublicFromRaw(raw) };
}

export interface NoteSignature {
  name: string;
  keyId: number;
  signature: Buffer;
  /** The whole line, with its newline. */
  line: string;
}

export interface ParsedNote {
  text: string;
  signatures: NoteSignature[];
}

/** Splits a signed note into its text and signature lines; throws when it is malformed. */
export function parseNote(note: string): ParsedNote {
  if (Buffer.byteLength(note) > MAX_NOTE_BYTES) throw new Error("note too large");
  if (/[\x00-\x09\x0b-\x1f]/.test(note)) throw new Error("note holds control characters");
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new Error("note has no signature block");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new Error("too many signatures");
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!m) throw new Error("malformed signature line");
    const sig = Buffer.from(m[2]!, "base64");
    if (sig.length < 5 || sig.toString("base64") !== m[2]) throw new Error("malformed signature");
    return { name: m[1]!, keyId: sig.readUInt32BE(0), signature: sig.subarray(4), line: `${line}\n` };
  });
  return { text, signatures };
}

export function signatureLine(signer: Pick<NoteSigner, "name" | "keyId">, signature: Buffer): string {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId >>> 0);
  return `${DASH} ${signer.name} ${Buffer.concat([id, signature]).toString("base64")}\n`;
}

/** Signs note text (which must end in a newline) with an Ed25519 (0x01) key. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith("\n")) throw new Error("note text must end with a newline");
  return `${text}\n${signatureLine(signer, sign(null, Buffer.from(text), signer.privateKey))}`;
}

/** What a cosigner signs: `cosignature/v1`, `time T`, then the checkpoint body. */
export function cosignedMessage(text: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

export function cosignatureLine(text: string, signer: NoteSigner, timestamp: number): string {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(timestamp));
  return signatureLine(signer, Buffer.concat([ts, sign(null, cosignedMessage(text, timestamp), signer.privateKey)]));
}

/** Whether one signature line checks against a known key (0x01 note signature or 0x04 cosignature). */
export function checkSignature(text: string, sig: NoteSignature, key: NoteVerifier): boolean {
  if (sig.name !== key.name || sig.keyId !== key.keyId) return false;
  if (key.type === KEY_TYPE_ED25519) return sig.signature.length === 64 && verify(null, Buffer.from(text), key.publicKey, sig.signature);
  if (sig.signature.length !== 72) return false;
  const timestamp = sig.signature.readBigUInt64BE(0);
  if (timestamp >= 2n ** 63n) return false;
  return verify(null, cosignedMessage(text, Number(timestamp)), key.publicKey, sig.signature.subarray(8));
}

/**
 * Opens a note per signed-note: signatures by unknown keys are ignored; one by a known key that
 * fails rejects the note; at least one known key must have signed. Returns the keys that did.
 */
export function openNote(note: string, keys: readonly NoteVerifier[]): { text: string; signedBy: NoteVerifier[] } {
  const parsed = parseNote(note);
  const signedBy: NoteVerifier[] = [];
  for (const sig of parsed.signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!key) continue;
    if (!checkSignature(parsed.text, sig, key)) throw new Error(`the signature by ${key.name} does not verify`);
    if (!signedBy.includes(key)) signedBy.push(key);
  }
  if (signedBy.length === 0) throw new Error("the note is not signed by a known key");
  return { text: parsed.text, signedBy };
}

export interface CheckpointBody {
  origin: string;
  size: number;
  root: Buffer;
}

export function formatCheckpoint(c: CheckpointBody): string {
  return `${c.origin}\n${c.size}\n${c.root.toString("base64")}\n`;
}

/** Parses checkpoint note text (origin, size, root, optional extension lines). */
export function parseCheckpoint(text: string): CheckpointBody {
  const lines = text.split("\n");
  if (lines.length < 4 || lines.at(-1) !== "") throw new Error("a checkpoint has an origin, a size and a root hash");
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!origin || lines.slice(3, -1).some((l) => l === "")) throw new Error("malformed checkpoint");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new Error("malformed checkpoint size");
  const root = Buffer.from(rootText, "base64");
  if (root.length !== 32 || root.toString("base64") !== rootText) throw new Error("malformed checkpoint root hash");
  return { origin, size: Number(sizeText), root };
}
