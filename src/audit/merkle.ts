import { createHash } from "node:crypto";

/**
 * RFC 6962 / RFC 9162 §2.1 Merkle trees, pure: no storage, no I/O. The tree over a chain's events
 * is kept as its complete subtrees: node (level ℓ, index i) is the hash of leaves
 * [i·2^ℓ, (i+1)·2^ℓ), written once, when its last leaf is appended, and never changed. Every root
 * and proof below is computed from such nodes, through a NodeReader, so a store only has to hand
 * over the O(log n) nodes a computation names (see `nodesNeeded`).
 */

export const HASH_BYTES = 32;
/** A consistency or inclusion proof of a tree below 2^63 leaves has at most 63 hashes. */
export const MAX_PROOF_HASHES = 63;
/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT = createHash("sha256").digest();

export function leafHash(data: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.from([0])).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.from([1])).update(left).update(right).digest();
}

export interface TreeNode {
  level: number;
  index: number;
  hash: Buffer;
}

/** Returns the stored hash of a complete subtree, or throws when the store lacks it. */
export type NodeReader = (level: number, index: number) => Buffer;

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPow2(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** MTH(D[lo:hi]) for hi > lo, from complete subtrees. */
export function rangeHash(lo: number, hi: number, get: NodeReader): Buffer {
  const n = hi - lo;
  if (isPow2(n) && lo % n === 0) return get(Math.log2(n), lo / n);
  const k = splitPoint(n);
  return nodeHash(rangeHash(lo, lo + k, get), rangeHash(lo + k, hi, get));
}

export function rootAt(size: number, get: NodeReader): Buffer {
  return size === 0 ? EMPTY_ROOT : rangeHash(0, size, get);
}

/** RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(index: number, size: number, get: NodeReader): Buffer[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path = (m: number, lo: number, hi: number): Buffer[] => {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m - lo < k ? [...path(m, lo, lo + k), rangeHash(lo + k, hi, get)] : [...path(m, lo + k, hi), rangeHash(lo, lo + k, get)];
  };
  return path(index, 0, size);
}

/** RFC 9162 §2.1.4.1: proof that the tree of `from` leaves is a prefix of the tree of `to`. */
export function consistencyProof(from: number, to: number, get: NodeReader): Buffer[] {
  if (!(from >= 0 && from <= to)) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  const sub = (m: number, lo: number, hi: number, complete: boolean): Buffer[] => {
    const n = hi - lo;
    if (m === n) return complete ? [] : [rangeHash(lo, hi, get)];
    const k = splitPoint(n);
    return m <= k
      ? [...sub(m, lo, lo + k, complete), rangeHash(lo + k, hi, get)]
      : [...sub(m - k, lo + k, hi, false), rangeHash(lo, lo + k, get)];
  };
  return sub(from, 0, to, true);
}

/**
 * Which stored nodes a computation reads: it is run with a reader that records and answers
 * zeros, so a store can fetch exactly those nodes in one query and run it again for real.
 */
export function nodesNeeded(compute: (get: NodeReader) => unknown): { level: number; index: number }[] {
  const seen = new Map<string, { level: number; index: number }>();
  const zero = Buffer.alloc(HASH_BYTES);
  compute((level, index) => {
    seen.set(`${level}:${index}`, { level, index });
    return zero;
  });
  return [...seen.values()];
}

/**
 * Appends one leaf to a tree given by its frontier — the hashes of the complete subtrees that
 * make up the first `size` leaves, largest first — and returns the new frontier and the nodes to
 * store. A node is stored once it gets a parent; until then it is a frontier element (kept on the
 * chain's head row). So an append at an even index stores nothing, one at an odd index stores the
 * pairs it merges: each node is written exactly once, amortized two rows per leaf, in half as
 * many statements as leaves.
 */
export function appendLeaf(
  frontier: readonly Buffer[],
  size: number,
  leaf: Buffer,
): { frontier: Buffer[]; nodes: TreeNode[]; top: TreeNode } {
  const next = frontier.slice();
  const nodes: TreeNode[] = [];
  let hash = leaf;
  let index = size;
  let level = 0;
  while (index % 2 === 1) {
    const left = next.pop();
    if (!left) throw new Error("frontier does not match the tree size");
    nodes.push({ level, index: index - 1, hash: left }, { level, index, hash });
    hash = nodeHash(left, hash);
    level += 1;
    index = Math.floor(index / 2);
  }
  next.push(hash);
  return { frontier: next, nodes, top: { level, index, hash } };
}

/** The root of a tree from its frontier (largest subtree first). */
export function rootOfFrontier(frontier: readonly Buffer[]): Buffer {
  if (frontier.length === 0) return EMPTY_ROOT;
  let root = frontier[frontier.length - 1]!;
  for (let i = frontier.length - 2; i >= 0; i--) root = nodeHash(frontier[i]!, root);
  return root;
}

/** The frontier's subtrees as (level, index) nodes: one per set bit of size, largest first. */
export function frontierNodes(size: number): { level: number; index: number }[] {
  const out: { level: number; index: number }[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (Math.floor(size / width) % 2 === 1) {
      out.push({ level, index: start / width });
      start += width;
    }
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  if (proof.length > MAX_PROOF_HASHES || proof.some((p) => p.length !== HASH_BYTES)) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && same(r, root);
}

/** RFC 9162 §2.1.4.2; the empty tree is consistent with every tree (and needs no proof). */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!(Number.isSafeInteger(size1) && Number.isSafeInteger(size2) && size1 >= 0 && size1 <= size2)) return false;
  if (proof.length > MAX_PROOF_HASHES || proof.some((p) => p.length !== HASH_BYTES)) return false;
  if (size1 === 0) return proof.length === 0 && same(root1, EMPTY_ROOT);
  if (size1 === size2) return proof.length === 0 && same(root1, root2);
  const path = isPow2(size1) ? [root1, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = BigInt(size1 - 1);
  let sn = BigInt(size2 - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && same(fr, root1) && same(sr, root2);
}

/** A whole tree in memory (tests, tools, the benchmark): every complete subtree, by level. */
export class MemoryTree {
  private readonly levels: Buffer[][] = [];
  private frontier: Buffer[] = [];
  size = 0;

  append(data: Uint8Array): Buffer {
    return this.appendHash(leafHash(data));
  }

  appendHash(leaf: Buffer): Buffer {
    const { frontier, nodes, top } = appendLeaf(this.frontier, this.size, leaf);
    for (const node of [...nodes, top]) (this.levels[node.level] ??= [])[node.index] = node.hash;
    this.frontier = frontier;
    this.size += 1;
    return leaf;
  }

  readonly get: NodeReader = (level, index) => {
    const hash = this.levels[level]?.[index];
    if (!hash) throw new Error(`no node ${level}/${index}`);
    return hash;
  };

  root(size = this.size): Buffer {
    return size === this.size ? rootOfFrontier(this.frontier) : rootAt(size, this.get);
  }
}
