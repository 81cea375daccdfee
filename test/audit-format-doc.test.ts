import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { test } from "node:test";
import { hashEvent } from "../src/audit/audit-event.js";
import { ChainVerifier } from "../src/audit/verify-chain.js";

const doc = fs.readFileSync(new URL("../docs/audit-format.md", import.meta.url), "utf8");
const example = /```jsonl\n([\s\S]*?)```/.exec(doc)?.[1]?.trim().split("\n") ?? [];

test("the worked example in docs/audit-format.md is a valid three-event chain", () => {
  assert.equal(example.length, 3);
  const verifier = new ChainVerifier();
  for (const line of example) assert.equal(verifier.pushLine(line), undefined);
  for (const line of example) {
    const { hash, ...rest } = JSON.parse(line);
    assert.equal(hashEvent(rest), hash);
  }
});

test("the documented canonical form of the first event is what is hashed", () => {
  const canonical = /is hashed\) is:\n\n```\n(.*)\n```/.exec(doc)?.[1];
  assert.ok(canonical);
  const { hash } = JSON.parse(example[0]!);
  assert.equal(createHash("sha256").update(canonical).digest("hex"), hash);
});

test("the documented Python recipe verifies the example (where python3 exists)", (t) => {
  const python = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(python);
  let hasPython = true;
  try {
    execFileSync("python3", ["--version"]);
  } catch {
    hasPython = false;
  }
  if (!hasPython) return t.skip("python3 not installed");
  const dir = fs.mkdtempSync("/tmp/lockbox-doc-");
  fs.writeFileSync(`${dir}/tenant.jsonl`, `${example.join("\n")}\n`);
  const out = execFileSync("python3", ["-c", python], { cwd: dir }).toString();
  assert.match(out, /^ok 3 events; head [0-9a-f]{64}/);
  const tampered = example.map((l, i) => (i === 1 ? l.replace("Maya Manager", "Someone Else") : l));
  fs.writeFileSync(`${dir}/tenant.jsonl`, `${tampered.join("\n")}\n`);
  assert.throws(() => execFileSync("python3", ["-c", python], { cwd: dir, stdio: "pipe" }), /bad hash at seq 2/);
});
