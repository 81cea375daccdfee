import canonicalizeModule from "canonicalize";
import type { Queryable } from "../db/schema.js";
import { toAuditEvent } from "./audit-queries.js";
import type { UnsealedAuditEvent } from "./audit-event.js";
import {
  appendLeaf,
  consistencyProof,
  frontierNodes,
  inclusionProof,
  leafHash,
  type NodeReader,
  nodesNeeded,
  rootAt,
  type TreeNode,
} from "./merkle.js";

// CommonJS function typed as an ES default export; see audit-event.ts.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * The chain's Merkle tree in the database (SPEC §16). Every complete subtree (level, idx) is in
 * exactly one place: on the chain's head row while it is a frontier node (`tree_frontier`, no
 * parent yet) or waiting to be flushed (`tree_pending`), else in `merkle_nodes`, written once and
 * never changed (the database refuses UPDATE and DELETE). All of it moves in the transaction of
 * the append, under the head row's lock. Any root or proof reads the head row and the O(log n)
 * nodes it needs in one query.
 */

/** The leaf data of an event: the UTF-8 bytes of JCS(event without "hash"), whose SHA-256 is `hash`. */
export function canonicalEvent(event: UnsealedAuditEvent): string {
  const text = canonicalize(event);
  if (text === undefined) throw new Error("audit event cannot be canonicalized");
  return text;
}

export function parseFrontier(text: string): Buffer[] {
  return text === "" ? [] : text.split(",").map((h) => Buffer.from(h, "base64"));
}

export function formatFrontier(frontier: readonly Buffer[]): string {
  return frontier.map((h) => h.toString("base64")).join(",");
}

/** Completed nodes kept on the head row until there are this many, then written in one statement. */
export const FLUSH_NODES = 32;

export function parsePending(text: string): TreeNode[] {
  if (text === "") return [];
  return text.split(",").map((item) => {
    const [level, index, hash] = item.split(".") as [string, string, string];
    return { level: Number(level), index: Number(index), hash: Buffer.from(hash, "base64") };
  });
}

export function formatPending(nodes: readonly TreeNode[]): string {
  return nodes.map((n) => `${n.level}.${n.index}.${n.hash.toString("base64")}`).join(",");
}

export async function insertNodes(db: Queryable, chain: string, nodes: readonly TreeNode[]): Promise<void> {
  // 4 parameters a row: well inside SQLite's and PostgreSQL's limits per statement.
  for (let i = 0; i < nodes.length; i += 500) {
    await db
      .insertInto("merkle_nodes")
      .values(nodes.slice(i, i + 500).map((n) => ({ chain, level: n.level, idx: n.index, hash: n.hash })))
      .execute();
  }
}

/**
 * Brings a chain's tree up to its head: the migration's backfill of chains older than the tree,
 * and a repair for events appended by an instance that predates it (a rolling upgrade on
 * PostgreSQL). Callers hold the chain (the head row lock, or the migration's transaction).
 * Returns the tree's new size.
 */
export async function catchUpTree(db: Queryable, chain: string, pageSize = 1000): Promise<number> {
  const head = await db.selectFrom("audit_heads").select(["seq", "tree_size", "tree_frontier", "tree_pending"]).where("chain", "=", chain).executeTakeFirst();
  if (!head) return 0;
  const pending = parsePending(head.tree_pending);
  let size = Number(head.tree_size);
  let frontier = parseFrontier(head.tree_frontier);
  const target = Number(head.seq);
  if (size === target) return size;
  while (size < target) {
    const rows = await db
      .selectFrom("audit_events")
      .selectAll()
      .where("chain", "=", chain)
      .where("seq", ">", size)
      .where("seq", "<=", target)
      .orderBy("seq")
      .limit(pageSize)
      .execute();
    if (rows.length === 0) throw new Error(`chain ${chain}: events ${size + 1}…${target} are missing`);
    const nodes: TreeNode[] = pending.splice(0);
    for (const row of rows) {
      if (Number(row.seq) !== size + 1) throw new Error(`chain ${chain}: event ${size + 1} is missing`);
      const { hash: _hash, ...unsealed } = toAuditEvent(row);
      const next = appendLeaf(frontier, size, leafHash(Buffer.from(canonicalEvent(unsealed))));
      frontier = next.frontier;
      nodes.push(...next.nodes);
      size += 1;
    }
    await insertNodes(db, chain, nodes);
  }
  await db.updateTable("audit_heads").set({ tree_size: size, tree_frontier: formatFrontier(frontier), tree_pending: "" }).where("chain", "=", chain).execute();
  return size;
}

/** The tree's size: the events its nodes cover. */
export async function treeSize(db: Queryable, chain: string): Promise<number> {
  const head = await db.selectFrom("audit_heads").select("tree_size").where("chain", "=", chain).executeTakeFirst();
  return Number(head?.tree_size ?? 0);
}

/**
 * Runs `compute` over the nodes it needs: the tree's frontier and pending nodes from the head
 * row, the rest from merkle_nodes in one query. The head is read first: a node that moves to
 * merkle_nodes between the two reads is found in the second.
 */
export async function withNodes<T>(db: Queryable, chain: string, compute: (get: NodeReader) => T): Promise<T> {
  const keys = nodesNeeded(compute);
  const found = new Map<string, Buffer>();
  const head = await db.selectFrom("audit_heads").select(["tree_size", "tree_frontier", "tree_pending"]).where("chain", "=", chain).executeTakeFirst();
  if (head) {
    const frontier = parseFrontier(head.tree_frontier);
    frontierNodes(Number(head.tree_size)).forEach((n, i) => found.set(`${n.level}:${n.index}`, frontier[i]!));
    for (const n of parsePending(head.tree_pending)) found.set(`${n.level}:${n.index}`, n.hash);
  }
  const missing = keys.filter((k) => !found.has(`${k.level}:${k.index}`));
  if (missing.length) {
    const rows = await db
      .selectFrom("merkle_nodes")
      .select(["level", "idx", "hash"])
      // The chain inside every OR term, so each is a primary-key lookup (SQLite's multi-index OR,
      // PostgreSQL's bitmap OR) rather than a scan of the chain's nodes.
      .where((eb) => eb.or(missing.map((k) => eb.and([eb("chain", "=", chain), eb("level", "=", k.level), eb("idx", "=", k.index)]))))
      .execute();
    for (const r of rows) found.set(`${Number(r.level)}:${Number(r.idx)}`, Buffer.from(r.hash));
  }
  return compute((level, index) => {
    const hash = found.get(`${level}:${index}`);
    if (!hash) throw new Error(`chain ${chain}: Merkle node ${level}/${index} is missing`);
    return hash;
  });
}

export async function rootOf(db: Queryable, chain: string, size: number): Promise<Buffer> {
  return withNodes(db, chain, (get) => rootAt(size, get));
}

/** Callers check 1 ≤ seq ≤ size ≤ treeSize (the routes answer 400 otherwise). */
export async function proveInclusion(db: Queryable, chain: string, seq: number, size: number): Promise<Buffer[]> {
  return withNodes(db, chain, (get) => inclusionProof(seq - 1, size, get));
}

/** Callers check 0 ≤ from ≤ to ≤ treeSize. */
export async function proveConsistency(db: Queryable, chain: string, from: number, to: number): Promise<Buffer[]> {
  return withNodes(db, chain, (get) => consistencyProof(from, to, get));
}
