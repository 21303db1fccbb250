import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../adapters/db/columns.js';

/**
 * Failed logins per normalized identifier (its SHA-256, never the text: people type passwords
 * into the identifier field). Keyed by identifier, not user, so an unknown identifier locks
 * exactly like a known one and the table reveals nothing about which accounts exist.
 */
export const loginFailures = pgTable('login_failures', {
  identifierHash: text('identifier_hash').primaryKey(),
  failures: integer('failures').notNull(),
  firstFailedAt: timestamptz('first_failed_at').notNull(),
  lastFailedAt: timestamptz('last_failed_at').notNull(),
  lockedUntil: timestamptz('locked_until'),
});
