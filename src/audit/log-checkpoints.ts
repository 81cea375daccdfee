import { sql } from "kysely";
import type { Config } from "../config.js";
import { isPostgres } from "../db/dialect.js";
import type { Queryable, Tx } from "../db/schema.js";
import { originOf } from "./log-key.js";
import { verifyConsistency } from "./merkle.js";
import { catchUpTree, proveConsistency, rootOf } from "./merkle-store.js";
import { formatCheckpoint, type NoteSigner, signNote } from "./notes.js";

export interface NoteCheckpoint {
  chain: string;
  size: number;
  root: string;
  note: string;
  at: string;
}

export async function latestNote(db: Queryable, chain: string, atMost?: number): Promise<NoteCheckpoint | undefined> {
  let q = db.selectFrom("audit_notes").selectAll().where("chain", "=", chain);
  if (atMost !== undefined) q = q.where("size", "<=", atMost);
  const row = await q.orderBy("size", "desc").limit(1).executeTakeFirst();
  return row && { ...row, size: Number(row.size) };
}

/**
 * Signs the chain's checkpoints (C2SP tlog-checkpoint) at the given sizes, ascending, inside the
 * checkpointer's transaction (which holds the chain's checkpoint lock). The log never signs two
 * checkpoints of one size with different roots, nor a checkpoint inconsistent with one it signed:
 * a size at or below the latest signed one is skipped, and a new root is signed only after a
 * consistency proof from the latest signed checkpoint, built from the stored nodes, verifies —
 * so rewritten nodes in the database stop the signing instead of forking the log.
 */
export async function signNoteCheckpoints(
  trx: Tx,
  config: Pick<Config, "publicUrl">,
  signer: NoteSigner,
  chain: string,
  sizes: number[],
  now: Date,
): Promise<NoteCheckpoint[]> {
  const head = await trx.selectFrom("audit_heads").select(["seq", "tree_size"]).where("chain", "=", chain).executeTakeFirst();
  if (!head) return [];
  if (Number(head.tree_size) < Number(head.seq)) {
    // Events written by an instance older than the tree: hold the chain and add them.
    if (isPostgres(trx)) await sql`select 1 from audit_heads where chain = ${chain} for update`.execute(trx);
    await catchUpTree(trx, chain);
  }
  const signed: NoteCheckpoint[] = [];
  let last = await latestNote(trx, chain);
  for (const size of sizes) {
    if (size < 1 || (last && size <= last.size) || size > Number(head.seq)) continue;
    const root = await rootOf(trx, chain, size);
    if (last) {
      const proof = await proveConsistency(trx, chain, last.size, size);
      if (!verifyConsistency(last.size, size, proof, Buffer.from(last.root, "base64"), root)) {
        throw new Error(`chain ${chain}: the tree at ${size} is not consistent with the checkpoint signed at ${last.size}; refusing to sign`);
      }
    }
    const note = signNote(formatCheckpoint({ origin: originOf(config, chain), size, root }), signer);
    const row = { chain, size, root: root.toString("base64"), note, at: now.toISOString() };
    const [inserted] = await trx.insertInto("audit_notes").values(row).onConflict((oc) => oc.columns(["chain", "size"]).doNothing()).execute();
    // Another instance got there first (the advisory lock makes this all but impossible): its
    // note stands, ours is dropped unseen and never published or sent to a witness.
    if (!inserted?.numInsertedOrUpdatedRows) {
      last = await latestNote(trx, chain);
      continue;
    }
    signed.push(row);
    last = row;
  }
  return signed;
}

/** The note with its witnesses' cosignature lines appended (what GET /v1/audit/checkpoint serves). */
export async function cosignedNote(db: Queryable, checkpoint: NoteCheckpoint): Promise<string> {
  const lines = await db
    .selectFrom("audit_cosignatures")
    .select("line")
    .where("chain", "=", checkpoint.chain)
    .where("size", "=", checkpoint.size)
    .orderBy("witness")
    .execute();
  return checkpoint.note + lines.map((l) => l.line).join("");
}
