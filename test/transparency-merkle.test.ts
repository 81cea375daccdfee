import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { describe, test } from "node:test";
import {
  consistencyProof,
  EMPTY_ROOT,
  frontierNodes,
  inclusionProof,
  leafHash,
  MemoryTree,
  nodeHash,
  nodesNeeded,
  rootAt,
  verifyConsistency,
  verifyInclusion,
} from "../src/audit/merkle.js";

// The RFC 6962 vectors (transparency-dev/merkle test data), kept beside the test so the suite
// needs nothing outside the repository.
const vectors = JSON.parse(fs.readFileSync(new URL("./rfc6962-vectors.json", import.meta.url), "utf8")) as {
  leafInputsHex: string[];
  leafHashesHex: string[];
  rootHashesHex: string[];
};
const inputs = vectors.leafInputsHex.map((h) => Buffer.from(h, "hex"));

// RFC 6962 §2.1 written out literally over the whole leaf list: the reference the stored-node
// computations must agree with.
const mth = (d: Buffer[]): Buffer => {
  if (d.length === 0) return createHash("sha256").digest();
  if (d.length === 1) return leafHash(d[0]!);
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
};
const path = (m: number, d: Buffer[]): Buffer[] => {
  if (d.length === 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
};
const subproof = (m: number, d: Buffer[], b: boolean): Buffer[] => {
  if (m === d.length) return b ? [] : [mth(d)];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
};

describe("RFC 6962 Merkle tree", () => {
  test("leaf hashes and the roots of every prefix match the RFC 6962 test vectors", () => {
    const tree = new MemoryTree();
    assert.equal(tree.root().toString("hex"), vectors.rootHashesHex[0]);
    assert.equal(EMPTY_ROOT.toString("hex"), vectors.rootHashesHex[0]);
    inputs.forEach((input, i) => {
      assert.equal(tree.append(input).toString("hex"), vectors.leafHashesHex[i]);
      assert.equal(tree.root().toString("hex"), vectors.rootHashesHex[i + 1], `root of ${i + 1}`);
    });
    for (let n = 0; n <= inputs.length; n++) assert.equal(rootAt(n, tree.get).toString("hex"), vectors.rootHashesHex[n]);
  });

  test("inclusion proofs for every leaf of every prefix equal the RFC's PATH and verify; any change fails", () => {
    const data = Array.from({ length: 37 }, (_, i) => (i < inputs.length ? inputs[i]! : Buffer.from(`leaf ${i}`)));
    const tree = new MemoryTree();
    for (const d of data) tree.append(d);
    for (let n = 1; n <= data.length; n++) {
      const root = rootAt(n, tree.get);
      assert.deepEqual(root, mth(data.slice(0, n)));
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(m, n, tree.get);
        assert.deepEqual(proof, path(m, data.slice(0, n)), `PATH(${m}, ${n})`);
        assert.ok(verifyInclusion(m, n, leafHash(data[m]!), proof, root), `verify ${m} in ${n}`);
        assert.ok(!verifyInclusion(m, n, leafHash(Buffer.from("other")), proof, root));
        if (n > 1) assert.ok(!verifyInclusion((m + 1) % n, n, leafHash(data[m]!), proof, root), "wrong index");
        if (proof.length) {
          const bent = proof.map((p, i) => (i === 0 ? nodeHash(p, p) : p));
          assert.ok(!verifyInclusion(m, n, leafHash(data[m]!), bent, root));
          assert.ok(!verifyInclusion(m, n, leafHash(data[m]!), proof.slice(0, -1), root), "short proof");
        }
        assert.ok(!verifyInclusion(m, n, leafHash(data[m]!), [...proof, root], root), "long proof");
      }
    }
  });

  test("consistency proofs for every pair of sizes equal the RFC's PROOF and verify; forks fail", () => {
    const data = Array.from({ length: 33 }, (_, i) => (i < inputs.length ? inputs[i]! : Buffer.from(`leaf ${i}`)));
    const tree = new MemoryTree();
    for (const d of data) tree.append(d);
    const forked = new MemoryTree();
    data.forEach((d, i) => forked.append(i === 5 ? Buffer.from("rewritten") : d));
    for (let to = 1; to <= data.length; to++) {
      for (let from = 1; from <= to; from++) {
        const proof = consistencyProof(from, to, tree.get);
        assert.deepEqual(proof, subproof(from, data.slice(0, to), true), `PROOF(${from}, ${to})`);
        const r1 = rootAt(from, tree.get);
        const r2 = rootAt(to, tree.get);
        assert.ok(verifyConsistency(from, to, proof, r1, r2), `verify ${from} → ${to}`);
        if (from > 5) {
          // The forked tree differs at leaf 5: its old root must not be provable into the honest tree.
          assert.ok(!verifyConsistency(from, to, proof, rootAt(from, forked.get), r2), `fork ${from} → ${to}`);
          assert.ok(!verifyConsistency(from, to, consistencyProof(from, to, forked.get), r1, rootAt(to, forked.get)));
        }
        if (from < to) assert.ok(!verifyConsistency(from, to, proof, r2, r1), "swapped roots");
      }
    }
    assert.ok(verifyConsistency(0, 9, [], EMPTY_ROOT, rootAt(9, tree.get)));
    assert.ok(!verifyConsistency(0, 9, [EMPTY_ROOT], EMPTY_ROOT, rootAt(9, tree.get)), "a proof from 0 must be empty");
    assert.ok(!verifyConsistency(9, 8, [], rootAt(9, tree.get), rootAt(8, tree.get)), "shrinking");
  });

  test("a proof reads only O(log n) stored nodes, and the frontier is one node per set bit", () => {
    const n = 1_000_003;
    const reads = nodesNeeded((get) => [inclusionProof(123_456, n, get), consistencyProof(777_777, n, get), rootAt(n, get)]);
    assert.ok(reads.length <= 3 * Math.ceil(Math.log2(n)), `${reads.length} nodes`);
    assert.deepEqual(
      frontierNodes(11),
      [
        { level: 3, index: 0 },
        { level: 1, index: 4 },
        { level: 0, index: 10 },
      ],
    );
  });
});
