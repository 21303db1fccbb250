import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../adapters/db/columns.js';

/** Owned by the audit module (repository.ts). */

/** Append-only security history. No foreign keys: rows outlive the users they mention. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Insertion order: ties on `occurred_at` (one request, one instant) keep their order. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    occurredAt: timestamptz('occurred_at').notNull(),
    type: text('type').notNull(),
    actorUserId: uuid('actor_user_id'),
    subjectUserId: uuid('subject_user_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    outcome: text('outcome').$type<'success' | 'failure'>().notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    check('audit_events_outcome_valid', sql`${t.outcome} IN ('success', 'failure')`),
    index('audit_events_subject_idx').on(t.subjectUserId, t.occurredAt, t.seq),
    index('audit_events_occurred_at_idx').on(t.occurredAt),
    // The admin trail's filters: text_pattern_ops serves both `type = …` and `type LIKE 'auth.%'`.
    index('audit_events_type_idx').on(t.type.op('text_pattern_ops'), t.occurredAt, t.seq),
    index('audit_events_actor_idx').on(t.actorUserId, t.occurredAt, t.seq),
  ],
);
