import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Database, Db } from '../../adapters/db/index.js';
import { auditEvents } from '../../adapters/db/schema.js';

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<typeof auditEvents.$inferInsert, 'id' | 'seq'>;

/** Every login writes one row: a prepared statement, not a query rebuilt per call. */
const INSERT_ONE = `
INSERT INTO audit_events (occurred_at, type, actor_user_id, subject_user_id, ip, user_agent,
                          request_id, outcome, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`;

/** The only code touching `audit_events`: it inserts and reads, and prunes by age only. */
export class AuditRepository {
  private readonly db: Db;
  constructor(private readonly database: Database) {
    this.db = database.db;
  }

  async insert(events: NewAuditEvent[]): Promise<void> {
    const [event, ...more] = events;
    if (!event) return;
    if (more.length > 0) {
      await this.db.insert(auditEvents).values(events);
      return;
    }
    await this.database.query('audit_insert_one', INSERT_ONE, [
      event.occurredAt,
      event.type,
      event.actorUserId ?? null,
      event.subjectUserId ?? null,
      event.ip ?? null,
      event.userAgent ?? null,
      event.requestId ?? null,
      event.outcome,
      JSON.stringify(event.detail ?? {}),
    ]);
  }

  /** Newest first, keyset-paginated on (occurred_at, seq). */
  listForSubject(
    subjectUserId: string,
    limit: number,
    after?: { occurredAt: Date; seq: number },
  ): Promise<AuditEventRow[]> {
    const position = after
      ? or(
          lt(auditEvents.occurredAt, after.occurredAt),
          and(eq(auditEvents.occurredAt, after.occurredAt), lt(auditEvents.seq, after.seq)),
        )
      : undefined;
    return this.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectUserId, subjectUserId), position))
      .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.seq))
      .limit(limit);
  }

  /** Deletes events older than `before`; returns how many. */
  async deleteOlderThan(before: Date): Promise<number> {
    const deleted = await this.db
      .delete(auditEvents)
      .where(lt(auditEvents.occurredAt, before))
      .returning({ one: sql<number>`1` });
    return deleted.length;
  }
}
