import { sql } from "kysely";
import { isPostgres } from "../db/dialect.js";
import type { Deps } from "../deps.js";
import { createPeriodicJob, type PeriodicJob } from "../jobs/periodic-job.js";
import { signCompactJws } from "../keys/keyring.js";
import { loadLogSigner } from "./log-key.js";
import { latestNote, type NoteCheckpoint, signNoteCheckpoints } from "./log-checkpoints.js";
import type { NoteSigner } from "./notes.js";
import { parseWitnesses, sendToWitnesses } from "./witness-client.js";

/** A signed statement that chain `chain` had, at `at`, event `seq` with hash `hash`. */
export interface Checkpoint {
  chain: string;
  seq: number;
  hash: string;
  at: string;
  jws: string;
}

export const CHECKPOINT_EVERY_EVENTS = 1000;
export const CHECKPOINT_EVERY_MINUTES = 5;
export const CHECKPOINT_JWS_TYPE = "lockbox-checkpoint+jws";

/**
 * Signs checkpoints for every chain that needs one: one at every 1000th event, and one at the
 * head of any chain with events newer than its last checkpoint once that checkpoint is 5 minutes
 * old (or there is none yet). The JWS payload is exactly `{chain, seq, hash, at}`.
 *
 * Safe with several instances: on PostgreSQL each chain is taken under a transaction-scoped
 * advisory lock that others skip rather than wait for, and the (chain, seq) key makes a
 * duplicate insert a no-op on either database. Returns how many checkpoints it signed.
 *
 * At the same sizes it signs the chain's transparency-log checkpoint (a C2SP signed note, SPEC
 * §16), and a first one at the head of a chain that has none yet; `onNotes` gets the new ones
 * after commit (to send them to the witnesses).
 */
export async function createCheckpoints(deps: Deps, onNotes?: (notes: NoteCheckpoint[]) => Promise<void>): Promise<number> {
  const heads = await deps.db.selectFrom("audit_heads").select(["chain", "seq", "hash"]).where("seq", ">", 0).execute();
  // Read before any transaction opens: on SQLite a query outside it would wait for it.
  const signer = heads.length ? await loadLogSigner(deps.db, deps.config) : undefined;
  let signed = 0;
  for (const head of heads) {
    try {
      const result = await checkpointChain(deps, head.chain, signer!);
      signed += result.jws;
      if (result.notes.length && onNotes) await onNotes(result.notes);
    } catch (err) {
      // One chain that cannot be signed (a tree that no longer matches what was signed) must not
      // stop the others; it is logged on every run until someone looks.
      deps.log.error({ err, chain: head.chain }, "audit checkpoint not signed");
    }
  }
  return signed;
}

async function checkpointChain(deps: Deps, chain: string, signer: NoteSigner): Promise<{ jws: number; notes: NoteCheckpoint[] }> {
  return deps.db.transaction().execute(async (trx) => {
    if (isPostgres(trx)) {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext(${`checkpoint:${chain}`})) as locked`.execute(trx);
      if (!rows[0]?.locked) return { jws: 0, notes: [] };
    }
    const now = deps.clock.now();
    const head = await trx.selectFrom("audit_heads").select(["seq", "hash"]).where("chain", "=", chain).executeTakeFirstOrThrow();
    const last = await trx
      .selectFrom("audit_checkpoints")
      .select(["seq", "at"])
      .where("chain", "=", chain)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    const targets: { seq: number; hash: string }[] = [];
    let from = Number(last?.seq ?? 0);
    while (Number(head.seq) - from >= CHECKPOINT_EVERY_EVENTS) {
      from += CHECKPOINT_EVERY_EVENTS;
      const event = await trx.selectFrom("audit_events").select("hash").where("chain", "=", chain).where("seq", "=", from).executeTakeFirstOrThrow();
      targets.push({ seq: from, hash: event.hash });
    }
    const lastAt = targets.length ? now.getTime() : last ? Date.parse(last.at) : -Infinity;
    if (Number(head.seq) > from && now.getTime() - lastAt >= CHECKPOINT_EVERY_MINUTES * 60_000) {
      targets.push({ seq: Number(head.seq), hash: head.hash });
    }
    for (const target of targets) {
      const statement = { chain, seq: target.seq, hash: target.hash, at: now.toISOString() };
      const jws = await signCompactJws(deps.keys, statement, CHECKPOINT_JWS_TYPE);
      await trx
        .insertInto("audit_checkpoints")
        .values({ ...statement, jws })
        .onConflict((oc) => oc.columns(["chain", "seq"]).doNothing())
        .execute();
    }
    const sizes = targets.map((t) => t.seq);
    if (sizes.length === 0 && Number(head.seq) > 0 && !(await latestNote(trx, chain))) sizes.push(Number(head.seq));
    const notes = await signNoteCheckpoints(trx, deps.config, signer, chain, sizes, now);
    return { jws: targets.length, notes };
  });
}

/** Signs due checkpoints every 30 seconds. */
export function createCheckpointer(deps: Deps): PeriodicJob {
  // Parsed once at start: a bad LOCKBOX_WITNESSES stops the server with its reason.
  const witnesses = parseWitnesses(deps.config.witnesses);
  return createPeriodicJob("checkpoints", 30_000, () => createCheckpoints(deps, (notes) => sendToWitnesses(deps, witnesses, notes)), deps.log);
}

export async function listCheckpoints(deps: Deps, chain: string): Promise<Checkpoint[]> {
  const rows = await deps.db.selectFrom("audit_checkpoints").selectAll().where("chain", "=", chain).orderBy("seq").execute();
  return rows.map((r) => ({ chain: r.chain, seq: Number(r.seq), hash: r.hash, at: r.at, jws: r.jws }));
}
