import { and, asc, count, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../adapters/db/index.js';
import { statementChunks } from '../../adapters/db/raw.js';
import { outbox, type OutboxKind } from './schema.js';

export type OutboxRow = typeof outbox.$inferSelect;
export type NewOutboxRow = Pick<
  typeof outbox.$inferInsert,
  'id' | 'kind' | 'type' | 'subject' | 'payload' | 'createdAt' | 'nextAttemptAt'
>;

/** The only code touching `outbox`. */
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  /** Inside the caller's transaction: the row commits or rolls back with the change. */
  async insert(executor: Executor, rows: NewOutboxRow[]): Promise<void> {
    for (const chunk of statementChunks(rows)) await executor.insert(outbox).values(chunk);
  }

  /**
   * Claims up to `limit` due rows for this worker until `lockedUntil`, counting the attempt.
   * `FOR UPDATE SKIP LOCKED` in one statement: concurrent workers MUST never claim the same
   * row; a row whose lease ran out (a worker died) is due again.
   */
  async claim(now: Date, lockedUntil: Date, limit: number): Promise<OutboxRow[]> {
    const due = this.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.status, 'pending'),
          lte(outbox.nextAttemptAt, now),
          or(isNull(outbox.lockedUntil), lte(outbox.lockedUntil, now)),
        ),
      )
      .orderBy(asc(outbox.seq))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(outbox)
      .set({ lockedUntil, attempts: sql`${outbox.attempts} + 1` })
      .where(inArray(outbox.id, due))
      .returning();
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /** Delivered: the row (and any mail content in it) is gone. */
  async delete(id: string): Promise<void> {
    await this.db.delete(outbox).where(eq(outbox.id, id));
  }

  async scheduleRetry(id: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.db
      .update(outbox)
      .set({ nextAttemptAt, lockedUntil: null, lastError: error })
      .where(eq(outbox.id, id));
  }

  async park(id: string, error: string): Promise<void> {
    await this.db
      .update(outbox)
      .set({ status: 'failed', lockedUntil: null, lastError: error })
      .where(eq(outbox.id, id));
  }

  /** Puts every parked row back in line with a fresh attempt budget; returns how many. */
  async retryFailed(now: Date): Promise<number> {
    const rows = await this.db
      .update(outbox)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null })
      .where(eq(outbox.status, 'failed'))
      .returning({ id: outbox.id });
    return rows.length;
  }

  /**
   * Undelivered rows (pending or parked) and the age of the oldest, for the metrics gauges.
   * The age is measured by the database clock, the one that stamped `created_at`.
   */
  async backlog(): Promise<{ backlog: number; oldestPendingAgeSeconds: number }> {
    const [row] = await this.db
      .select({
        backlog: count(),
        age: sql<string | null>`extract(epoch from now() - min(${outbox.createdAt}))`,
      })
      .from(outbox);
    return {
      backlog: Number(row?.backlog ?? 0),
      oldestPendingAgeSeconds: Math.max(0, Number(row?.age ?? 0)),
    };
  }

  async counts(): Promise<{ kind: OutboxKind; status: string; count: number }[]> {
    return this.db
      .select({ kind: outbox.kind, status: outbox.status, count: count() })
      .from(outbox)
      .groupBy(outbox.kind, outbox.status);
  }

  async list(): Promise<OutboxRow[]> {
    return this.db.select().from(outbox).orderBy(asc(outbox.seq));
  }

  /** Drops undelivered mail to a user (account deletion: no personal data left behind). */
  async deleteMailFor(executor: Executor, userId: string): Promise<void> {
    await executor.delete(outbox).where(and(eq(outbox.kind, 'mail'), eq(outbox.subject, userId)));
  }
}
