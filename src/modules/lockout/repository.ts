import type { Database, Executor } from '../../adapters/db/index.js';
import { queryWithin } from '../../adapters/db/raw.js';

/**
 * One statement per failure: count it, or restart the count when the previous failures are
 * older than the lockout window or their lockout has ended, and lock once the count reaches
 * the maximum. Failures while locked are not counted (the lock is not extended). The row lock
 * of the upsert serializes concurrent failures, so exactly one of them sees `failures = max`.
 * $1 identifier hash, $2 now, $3 max failures, $4 lockout seconds.
 */
const RECORD_FAILURE = `
INSERT INTO login_failures AS f (identifier_hash, failures, first_failed_at, last_failed_at, locked_until)
VALUES ($1, 1, $2, $2, CASE WHEN 1 >= $3 THEN $2::timestamptz + make_interval(secs => $4) END)
ON CONFLICT (identifier_hash) DO UPDATE SET
  failures = CASE WHEN f.locked_until IS NOT NULL
                    OR f.last_failed_at <= $2::timestamptz - make_interval(secs => $4)
                  THEN 1 ELSE f.failures + 1 END,
  first_failed_at = CASE WHEN f.locked_until IS NOT NULL
                           OR f.last_failed_at <= $2::timestamptz - make_interval(secs => $4)
                         THEN $2 ELSE f.first_failed_at END,
  last_failed_at = $2,
  locked_until = CASE WHEN (CASE WHEN f.locked_until IS NOT NULL
                                   OR f.last_failed_at <= $2::timestamptz - make_interval(secs => $4)
                                 THEN 1 ELSE f.failures + 1 END) >= $3
                      THEN $2::timestamptz + make_interval(secs => $4) END
WHERE f.locked_until IS NULL OR f.locked_until <= $2
RETURNING failures, locked_until AS "lockedUntil"`;

const STATE = `
SELECT failures, locked_until AS "lockedUntil" FROM login_failures WHERE identifier_hash = $1`;

const CLEAR = `DELETE FROM login_failures WHERE identifier_hash = $1`;

export interface FailureState {
  failures: number;
  lockedUntil: Date | null;
}

/** The only code touching `login_failures`. */
export class LoginFailureRepository {
  constructor(private readonly database: Database) {}

  /**
   * In the caller's transaction (the failure's audit row goes with it). Undefined when the
   * failure was not counted because the identifier is locked.
   */
  async recordFailure(
    tx: Executor,
    identifierHash: string,
    now: Date,
    maxFailures: number,
    lockoutSeconds: number,
  ): Promise<FailureState | undefined> {
    const [row] = await queryWithin<FailureState>(tx, RECORD_FAILURE, [
      identifierHash,
      now,
      maxFailures,
      lockoutSeconds,
    ]);
    return row && { failures: row.failures, lockedUntil: toDate(row.lockedUntil) };
  }

  async state(identifierHash: string): Promise<FailureState | undefined> {
    const [row] = await this.database.query<FailureState>('login_failure_state', STATE, [
      identifierHash,
    ]);
    return row && { failures: row.failures, lockedUntil: toDate(row.lockedUntil) };
  }

  async clear(identifierHash: string): Promise<void> {
    await this.database.query('login_failure_clear', CLEAR, [identifierHash]);
  }

  async clearWithin(tx: Executor, identifierHash: string): Promise<void> {
    await queryWithin(tx, CLEAR, [identifierHash]);
  }
}

function toDate(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}
