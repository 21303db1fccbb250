import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../adapters/db/columns.js';
import { userReference } from '../account/schema.js';

/** Owned by the sessions module (repository.ts). */

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: userReference(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    lastSeenAt: timestamptz('last_seen_at').notNull().defaultNow(),
    /** Sliding expiry: moves forward on every refresh. */
    expiresAt: timestamptz('expires_at').notNull(),
    /** Hard end of the session, whatever the activity. */
    absoluteExpiresAt: timestamptz('absolute_expires_at').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    amr: jsonb('amr').$type<string[]>().notNull().default(['pwd']),
    revokedAt: timestamptz('revoked_at'),
    revokeReason: text('revoke_reason'),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId, t.createdAt)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** base64url(SHA-256(token)); the token itself is never stored. */
    tokenHash: text('token_hash').notNull().unique('refresh_tokens_token_hash_key'),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    parentId: uuid('parent_id'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [index('refresh_tokens_session_id_idx').on(t.sessionId)],
);
