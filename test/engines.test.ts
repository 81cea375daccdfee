import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";

// Issue 19 item 12: `npm ci` on the Node version package.json promises (engines ">=20") must
// not warn EBADENGINE. Every package in the lockfile must accept Node 20.

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), "utf8"));

/** The lowest Node major a range like ">=18", "^20.19.0 || >=22.12.0", ">= 22" accepts. */
function lowestMajor(range: string): number {
  const majors = range.split("||").map((part) => Number(/(\d+)/.exec(part)?.[1] ?? 0));
  return Math.min(...majors);
}

test("every locked package runs on the Node major that package.json promises", () => {
  const promised = lowestMajor(read("package.json").engines.node as string);
  assert.equal(promised, 20);
  const tooNew = Object.entries(read("package-lock.json").packages as Record<string, { version?: string; engines?: { node?: string } | string[] }>)
    .filter(([, p]) => p.engines && !Array.isArray(p.engines) && typeof p.engines.node === "string")
    .filter(([, p]) => lowestMajor((p.engines as { node: string }).node) > promised)
    .map(([name, p]) => `${name}@${p.version}: node ${(p.engines as { node: string }).node}`);
  assert.deepEqual(tooNew, []);
});
