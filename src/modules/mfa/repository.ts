import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../adapters/db/index.js';
import { backupCodes, mfaFactors } from './schema.js';

export type MfaFactorRow = typeof mfaFactors.$inferSelect;

/** The only code touching `mfa_factors` and `backup_codes`. */
export class MfaRepository {
  constructor(private readonly db: Db) {}

  findFactor(userId: string): Promise<MfaFactorRow | undefined> {
    return this.db
      .select()
      .from(mfaFactors)
      .where(eq(mfaFactors.userId, userId))
      .limit(1)
      .then((rows) => rows[0]);
  }

  async isEnabled(userId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: mfaFactors.id })
      .from(mfaFactors)
      .where(and(eq(mfaFactors.userId, userId), isNotNull(mfaFactors.enabledAt)))
      .limit(1);
    return rows.length > 0;
  }

  /**
   * Stores a pending factor, replacing a pending one; undefined when the user's factor is
   * enabled (nothing changed).
   */
  async savePending(userId: string, secret: string, now: Date): Promise<MfaFactorRow | undefined> {
    const [row] = await this.db
      .insert(mfaFactors)
      .values({ userId, secret, createdAt: now })
      .onConflictDoUpdate({
        target: mfaFactors.userId,
        set: { secret, createdAt: now, lastUsedStep: null },
        setWhere: isNull(mfaFactors.enabledAt),
      })
      .returning();
    return row;
  }

  /**
   * Records `step` as used by the factor unless that step or a later one already was: exactly
   * one of concurrent callers presenting the same code gets true.
   */
  async claimStep(userId: string, step: number): Promise<boolean> {
    const rows = await this.db
      .update(mfaFactors)
      .set({ lastUsedStep: step })
      .where(
        and(
          eq(mfaFactors.userId, userId),
          or(isNull(mfaFactors.lastUsedStep), lt(mfaFactors.lastUsedStep, step)),
        ),
      )
      .returning({ id: mfaFactors.id });
    return rows.length > 0;
  }

  /** Enables the pending factor; false when it is not pending any more. */
  async enable(tx: Executor, userId: string, now: Date): Promise<boolean> {
    const rows = await tx
      .update(mfaFactors)
      .set({ enabledAt: now })
      .where(and(eq(mfaFactors.userId, userId), isNull(mfaFactors.enabledAt)))
      .returning({ id: mfaFactors.id });
    return rows.length > 0;
  }

  /** Removes the factor and the backup codes; false when there was no enabled factor. */
  async disable(tx: Executor, userId: string): Promise<boolean> {
    const rows = await tx
      .delete(mfaFactors)
      .where(and(eq(mfaFactors.userId, userId), isNotNull(mfaFactors.enabledAt)))
      .returning({ id: mfaFactors.id });
    await tx.delete(backupCodes).where(eq(backupCodes.userId, userId));
    return rows.length > 0;
  }

  /** Account deletion: the factor, enabled or pending, and every backup code go. */
  async deleteAllFor(tx: Executor, userId: string): Promise<void> {
    await tx.delete(mfaFactors).where(eq(mfaFactors.userId, userId));
    await tx.delete(backupCodes).where(eq(backupCodes.userId, userId));
  }

  /** Replaces the user's backup codes with these hashes. */
  async replaceBackupCodes(tx: Executor, userId: string, hashes: string[], now: Date) {
    await tx.delete(backupCodes).where(eq(backupCodes.userId, userId));
    if (hashes.length > 0) {
      await tx
        .insert(backupCodes)
        .values(hashes.map((codeHash) => ({ userId, codeHash, createdAt: now })));
    }
  }

  /** Spends an unused backup code: exactly one of concurrent callers gets true. */
  async useBackupCode(userId: string, codeHash: string, now: Date): Promise<boolean> {
    const rows = await this.db
      .update(backupCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(backupCodes.userId, userId),
          eq(backupCodes.codeHash, codeHash),
          isNull(backupCodes.usedAt),
        ),
      )
      .returning({ id: backupCodes.id });
    return rows.length > 0;
  }

  async remainingBackupCodes(userId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(backupCodes)
      .where(and(eq(backupCodes.userId, userId), isNull(backupCodes.usedAt)));
    return Number(row?.n ?? 0);
  }
}
