import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db, Executor } from '../../adapters/db/index.js';
import { refreshTokens, sessions } from '../../adapters/db/schema.js';

export type SessionRow = typeof sessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

/** The only code touching `sessions` and `refresh_tokens`. */
export class SessionRepository {
  constructor(private readonly db: Db) {}

  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insertSession(tx: Executor, values: typeof sessions.$inferInsert): Promise<SessionRow> {
    const [row] = await tx.insert(sessions).values(values).returning();
    return row!;
  }

  async insertRefreshToken(tx: Executor, values: typeof refreshTokens.$inferInsert): Promise<void> {
    await tx.insert(refreshTokens).values(values);
  }

  async findSession(id: string, tx: Executor = this.db): Promise<SessionRow | undefined> {
    const [row] = await tx.select().from(sessions).where(eq(sessions.id, id)).limit(1);
    return row;
  }

  /** Only the columns the bearer check needs: this runs on every authenticated request. */
  async findSessionState(id: string) {
    const [row] = await this.db
      .select({
        userId: sessions.userId,
        revokedAt: sessions.revokedAt,
        absoluteExpiresAt: sessions.absoluteExpiresAt,
      })
      .from(sessions)
      .where(eq(sessions.id, id))
      .limit(1);
    return row;
  }

  /**
   * Marks an unspent, unrevoked, unexpired token as used and returns it. MUST return the row to
   * exactly one caller however many present the same token at once: the conditional UPDATE
   * takes the row lock and re-checks `used_at` after any concurrent writer commits.
   */
  async spendRefreshToken(
    tx: Executor,
    tokenHash: string,
    now: Date,
  ): Promise<RefreshTokenRow | undefined> {
    const [row] = await tx
      .update(refreshTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(refreshTokens.tokenHash, tokenHash),
          isNull(refreshTokens.usedAt),
          isNull(refreshTokens.revokedAt),
          gt(refreshTokens.expiresAt, now),
        ),
      )
      .returning();
    return row;
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const [row] = await this.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1);
    return row;
  }

  async touchSession(
    tx: Executor,
    id: string,
    values: { lastSeenAt: Date; expiresAt: Date },
  ): Promise<void> {
    await tx.update(sessions).set(values).where(eq(sessions.id, id));
  }

  /** Revokes one session and every refresh token of it. Returns whether it was still live. */
  async revokeSession(id: string, now: Date, reason: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const revoked = await tx
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      await tx
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(refreshTokens.sessionId, id), isNull(refreshTokens.revokedAt)));
      return revoked.length > 0;
    });
  }

  /** Revokes every live session of a user with their refresh tokens; returns their ids. */
  async revokeUserSessions(userId: string, now: Date, reason: string): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const revoked = await tx
        .update(sessions)
        .set({ revokedAt: now, revokeReason: reason })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      for (const { id } of revoked) {
        await tx
          .update(refreshTokens)
          .set({ revokedAt: now })
          .where(and(eq(refreshTokens.sessionId, id), isNull(refreshTokens.revokedAt)));
      }
      return revoked.map((r) => r.id);
    });
  }
}
