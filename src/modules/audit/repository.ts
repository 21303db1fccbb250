import { and, desc, eq, gte, like, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database, Db, Executor } from '../../adapters/db/index.js';
import { statementChunks } from '../../adapters/db/raw.js';
import { auditEvents } from './schema.js';

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<typeof auditEvents.$inferInsert, 'id' | 'seq'>;

/** Where a page starts: just after this item (newest first). */
export interface AuditPosition {
  occurredAt: Date;
  seq: number;
}

/** The administrators' filters; every one given must match. */
export interface AuditFilter {
  subjectUserId?: string;
  actorUserId?: string;
  /** An exact type, or every type starting with `prefix` (`auth.`). */
  type?: { exact: string } | { prefix: string };
  /** occurred_at >= since */
  since?: Date;
  /** occurred_at < until */
  until?: Date;
}

/** A lone entry outside a transaction: a prepared statement, not a query rebuilt per call. */
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

  /** Within the caller's transaction: the entries commit or roll back with the change. */
  async insertWithin(executor: Executor, events: NewAuditEvent[]): Promise<void> {
    for (const chunk of statementChunks(events)) await executor.insert(auditEvents).values(chunk);
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
    after?: AuditPosition,
  ): Promise<AuditEventRow[]> {
    return this.list({ subjectUserId }, limit, after);
  }

  /** Every account's events matching `filter`, newest first, keyset-paginated like above. */
  list(filter: AuditFilter, limit: number, after?: AuditPosition): Promise<AuditEventRow[]> {
    const conditions: (SQL | undefined)[] = [
      filter.subjectUserId === undefined
        ? undefined
        : eq(auditEvents.subjectUserId, filter.subjectUserId),
      filter.actorUserId === undefined
        ? undefined
        : eq(auditEvents.actorUserId, filter.actorUserId),
      filter.type === undefined
        ? undefined
        : 'exact' in filter.type
          ? eq(auditEvents.type, filter.type.exact)
          : like(auditEvents.type, `${escapeLike(filter.type.prefix)}%`),
      filter.since === undefined ? undefined : gte(auditEvents.occurredAt, filter.since),
      filter.until === undefined ? undefined : lt(auditEvents.occurredAt, filter.until),
      after
        ? or(
            lt(auditEvents.occurredAt, after.occurredAt),
            and(eq(auditEvents.occurredAt, after.occurredAt), lt(auditEvents.seq, after.seq)),
          )
        : undefined,
    ];
    return this.db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
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

/** `_` and `%` in a LIKE pattern match literally. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
