import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../adapters/db/columns.js';

/** Owned by the events module (repository.ts). */

export const OUTBOX_KINDS = ['event', 'mail'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export const OUTBOX_STATUSES = ['pending', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * Events and mail jobs written in the same transaction as the change they announce, then
 * delivered by the relay. A delivered row is deleted; one that keeps failing is parked as
 * `failed` until `gatehouse outbox retry`.
 */
export const outbox = pgTable(
  'outbox',
  {
    /** The CloudEvents `id` of an event: stable across retries, consumers dedupe on it. */
    id: uuid('id').primaryKey().defaultRandom(),
    /** Delivery order. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    kind: text('kind').$type<OutboxKind>().notNull(),
    /** Event type (`user.created`) or mail template (`verify_email`). */
    type: text('type').notNull(),
    /** The user the row is about. */
    subject: uuid('subject'),
    /** Event data, or the mail message (sealed when a key is configured). */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').$type<OutboxStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    /** A worker holds the row until then; past it, another worker may take it over. */
    lockedUntil: timestamptz('locked_until'),
    lastError: text('last_error'),
  },
  (t) => [
    check('outbox_kind_valid', sql`${t.kind} IN ('event', 'mail')`),
    check('outbox_status_valid', sql`${t.status} IN ('pending', 'failed')`),
    index('outbox_due_idx').on(t.status, t.nextAttemptAt, t.seq),
    index('outbox_subject_idx').on(t.subject),
  ],
);
