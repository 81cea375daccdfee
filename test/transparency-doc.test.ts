import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { test } from "node:test";
import { leafHash, MemoryTree, verifyConsistency, verifyInclusion } from "../src/audit/merkle.js";
import { canonicalEvent } from "../src/audit/merkle-store.js";
import { ed25519PrivateFromSeed, formatVerifierKey, makeSigner, openNote, parseCheckpoint, KEY_TYPE_ED25519, signNote } from "../src/audit/notes.js";

// docs/audit-format.md's transparency-log section: every value in its worked example.
const doc = fs.readFileSync(new URL("../docs/audit-format.md", import.meta.url), "utf8");
const section = doc.slice(doc.indexOf("## The transparency log"));
const events = (/```jsonl\n([\s\S]*?)```/.exec(doc)?.[1] ?? "").trim().split("\n");
const leaves = events.map((l) => {
  const { hash: _h, ...e } = JSON.parse(l);
  return Buffer.from(canonicalEvent(e));
});
const tree = new MemoryTree();
for (const l of leaves) tree.append(l);
const note = `${/```note\n([\s\S]*?)```/.exec(section)?.[1] ?? ""}`;

test("the documented leaf hashes and checkpoint root are those of the three example events", () => {
  const documented = [...section.matchAll(/^leaf (\d)  ([0-9a-f]{64})$/gm)].map((m) => m[2]);
  assert.deepEqual(documented, leaves.map((l) => leafHash(l).toString("hex")));
  assert.equal(note.split("\n")[2], tree.root().toString("base64"));
});

test("the documented checkpoint opens with the documented log key, which is the published example key", () => {
  const vkey = /```\n(lockbox\.example\/audit\+[0-9a-f]{8}\+\S+)\n```/.exec(section)?.[1];
  assert.ok(vkey);
  const seed = createHash("sha256").update("lockbox documentation example key: never use it").digest();
  const signer = makeSigner("lockbox.example/audit", KEY_TYPE_ED25519, ed25519PrivateFromSeed(seed));
  assert.equal(formatVerifierKey(signer), vkey);
  const { text } = openNote(note, [signer]);
  const cp = parseCheckpoint(text);
  assert.equal(cp.origin, `lockbox.example/audit/${JSON.parse(events[0]!).chain.replace(":", "/")}`);
  assert.equal(cp.size, 3);
  assert.deepEqual(cp.root, tree.root());
  assert.equal(signNote(text, signer), note, "Ed25519 is deterministic: the note is exactly what the key signs");
});

test("the documented inclusion and consistency proofs verify against the example tree", () => {
  const inclusion = JSON.parse(/```json\n(\{"chain".*\})\n```/.exec(section)?.[1] ?? "{}");
  const proof = (inclusion.proof as string[]).map((h) => Buffer.from(h, "base64"));
  assert.ok(verifyInclusion(inclusion.seq - 1, inclusion.size, leafHash(leaves[1]!), proof, tree.root()));
  const consistency = JSON.parse(/consistency proof from size 2 to 3 is `(\[.*?\])`/.exec(section)?.[1] ?? "[]") as string[];
  assert.ok(verifyConsistency(2, 3, consistency.map((h) => Buffer.from(h, "base64")), tree.root(2), tree.root()));
});

test("the documented Python recipe computes the checkpoint's root (where python3 exists)", (t) => {
  const python = /```python\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(python);
  try {
    execFileSync("python3", ["--version"]);
  } catch {
    return t.skip("python3 not installed");
  }
  const dir = fs.mkdtempSync("/tmp/lockbox-tlog-doc-");
  fs.writeFileSync(`${dir}/tenant.jsonl`, `${events.join("\n")}\n`);
  const out = execFileSync("python3", ["-c", python], { cwd: dir }).toString().trim();
  assert.equal(out, `3 ${tree.root().toString("base64")}`);
  fs.rmSync(dir, { recursive: true, force: true });
});
