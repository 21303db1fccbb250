import { and, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../adapters/db/index.js';
import { oneTimeTokens, type OneTimeTokenPurpose } from './schema.js';
import { MAX_WRONG_CODES } from './state.js';

export type OneTimeTokenRow = typeof oneTimeTokens.$inferSelect;
export type NewOneTimeToken = typeof oneTimeTokens.$inferInsert;

/** The only code touching `one_time_tokens`. */
export class OneTimeTokenRepository {
  constructor(private readonly db: Db) {}

  /** Ends the user's live tokens of `purpose` and stores the new one, in the caller's transaction. */
  async replace(tx: Executor, values: NewOneTimeToken & { id: string }, now: Date): Promise<void> {
    await tx
      .update(oneTimeTokens)
      .set({ consumedAt: now })
      .where(
        and(
          eq(oneTimeTokens.userId, values.userId),
          eq(oneTimeTokens.purpose, values.purpose),
          isNull(oneTimeTokens.consumedAt),
        ),
      );
    await tx.insert(oneTimeTokens).values(values);
  }

  findByTokenHash(tokenHash: string): Promise<OneTimeTokenRow | undefined> {
    return this.db
      .select()
      .from(oneTimeTokens)
      .where(eq(oneTimeTokens.tokenHash, tokenHash))
      .limit(1)
      .then((rows) => rows[0]);
  }

  /** Tokens of these purposes mailed to `email` that are still usable. */
  findLiveByEmail(
    email: string,
    purposes: OneTimeTokenPurpose[],
    now: Date,
  ): Promise<OneTimeTokenRow[]> {
    return this.db
      .select()
      .from(oneTimeTokens)
      .where(
        and(
          eq(oneTimeTokens.email, email),
          inArray(oneTimeTokens.purpose, purposes),
          isNull(oneTimeTokens.consumedAt),
          gt(oneTimeTokens.expiresAt, now),
          lte(oneTimeTokens.attempts, MAX_WRONG_CODES),
        ),
      );
  }

  /** Counts one wrong code against each of these tokens (outside any flow transaction). */
  async countWrongCode(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(oneTimeTokens)
      .set({ attempts: sql`${oneTimeTokens.attempts} + 1` })
      .where(and(inArray(oneTimeTokens.id, ids), isNull(oneTimeTokens.consumedAt)));
  }

  /**
   * Spends a live token. Exactly one caller MUST receive the row, however many race: the
   * conditional `UPDATE … RETURNING` re-checks `consumed_at` under the row lock.
   */
  async consume(tx: Executor, id: string, now: Date): Promise<OneTimeTokenRow | undefined> {
    const [row] = await tx
      .update(oneTimeTokens)
      .set({ consumedAt: now })
      .where(
        and(
          eq(oneTimeTokens.id, id),
          isNull(oneTimeTokens.consumedAt),
          gt(oneTimeTokens.expiresAt, now),
          lte(oneTimeTokens.attempts, MAX_WRONG_CODES),
        ),
      )
      .returning();
    return row;
  }

  /** Account deletion: no token of the user survives. */
  async deleteForUser(tx: Executor, userId: string): Promise<void> {
    await tx.delete(oneTimeTokens).where(eq(oneTimeTokens.userId, userId));
  }
}
