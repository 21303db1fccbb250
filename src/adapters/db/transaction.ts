import type { Db, Tx } from './types.js';

/** Runs `work` in one database transaction: everything it writes commits or rolls back together. */
export type Transactor = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export function transactorFor(db: Db): Transactor {
  return (work) => db.transaction(work);
}
