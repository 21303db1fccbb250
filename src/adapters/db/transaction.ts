import type { Db, Tx } from './types.js';

/**
 * Runs `work` in one database transaction: everything it writes commits or rolls back together.
 * `afterCommit(tx, effect)` queues work that must happen only once the transaction has
 * committed (metrics): it runs after COMMIT, before the transaction's promise resolves, and
 * never runs when the transaction rolls back.
 */
export interface Transactor {
  <T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  afterCommit(tx: Tx, effect: () => void): void;
}

export function transactorFor(db: Db): Transactor {
  const pending = new WeakMap<Tx, (() => void)[]>();
  const run = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    let effects: (() => void)[] = [];
    const result = await db.transaction(async (tx) => {
      effects = [];
      pending.set(tx, effects);
      try {
        return await work(tx);
      } finally {
        pending.delete(tx);
      }
    });
    for (const effect of effects) {
      // The change is committed: a failing follow-up (a metric) must not turn it into an error.
      try {
        effect();
      } catch {
        // Nothing to undo; the effect is best-effort by contract.
      }
    }
    return result;
  };
  return Object.assign(run, {
    afterCommit(tx: Tx, effect: () => void): void {
      const effects = pending.get(tx);
      if (!effects) throw new Error('afterCommit needs a transaction opened by this transactor');
      effects.push(effect);
    },
  });
}
