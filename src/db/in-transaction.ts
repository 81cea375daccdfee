import type { Deps } from "../deps.js";
import type { Tx } from "./schema.js";

/**
 * One unit of work: the transaction, the dependencies, and a way to run code only once the
 * transaction has committed (refresh a cache, wake a dispatcher). Work that must commit with the
 * change (audit events, outbox rows) uses `trx`; work that must not happen unless the change is
 * durable goes in `afterCommit`.
 */
export interface Work {
  trx: Tx;
  deps: Deps;
  afterCommit(fn: () => void): void;
}

export async function inTransaction<T>(deps: Deps, fn: (work: Work) => Promise<T>): Promise<T> {
  const callbacks: (() => void)[] = [];
  const result = await deps.db.transaction().execute((trx) => fn({ trx, deps, afterCommit: (cb) => callbacks.push(cb) }));
  for (const cb of callbacks) {
    try {
      cb();
    } catch (err) {
      deps.log.error({ err }, "after-commit hook failed");
    }
  }
  return result;
}
