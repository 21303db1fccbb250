import { bigint, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../adapters/db/columns.js';
import { userReference, users } from '../account/schema.js';

/**
 * One TOTP factor per user: pending until `enabled_at` is set by a verified code. The secret
 * is sealed with the key-encryption key (context `mfa:<user id>`).
 */
export const mfaFactors = pgTable('mfa_factors', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id')
    .notNull()
    .unique('mfa_factors_user_id_key')
    .references(() => users.id, { onDelete: 'cascade' }),
  secret: text('secret').notNull(),
  enabledAt: timestamptz('enabled_at'),
  /** The last accepted TOTP time step: a code is never accepted twice. */
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
});

/** One-time backup codes, stored as base64url(SHA-256(user id ":" code)). */
export const backupCodes = pgTable(
  'backup_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: userReference(),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamptz('used_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [index('backup_codes_user_idx').on(t.userId, t.codeHash)],
);
