import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { citext, timestamptz } from '../../adapters/db/columns.js';
import { userReference } from '../account/schema.js';

/** Owned by the verification module (repository.ts). */

export const ONE_TIME_TOKEN_PURPOSES = [
  'verify_email',
  'reset_password',
  'change_email',
  'mfa_challenge',
  'invite',
] as const;
export type OneTimeTokenPurpose = (typeof ONE_TIME_TOKEN_PURPOSES)[number];

/**
 * Verification, reset and email-change tokens: a long link token and a short code, both stored
 * as hashes only. A row is spent once (`consumed_at`); `attempts` counts wrong codes.
 */
export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: userReference(),
    purpose: text('purpose').$type<OneTimeTokenPurpose>().notNull(),
    /** The address the token was mailed to (the new one for `change_email`). */
    email: citext('email').notNull(),
    /** base64url(SHA-256(link token)). */
    tokenHash: text('token_hash').notNull().unique('one_time_tokens_token_hash_key'),
    /** base64url(SHA-256(id ":" code)): the row id salts the short code. */
    codeHash: text('code_hash').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    consumedAt: timestamptz('consumed_at'),
    attempts: integer('attempts').notNull().default(0),
  },
  (t) => [
    check(
      'one_time_tokens_purpose_valid',
      sql`${t.purpose} IN ('verify_email', 'reset_password', 'change_email', 'mfa_challenge', 'invite')`,
    ),
    index('one_time_tokens_user_purpose_idx').on(t.userId, t.purpose),
    index('one_time_tokens_email_purpose_idx').on(t.email, t.purpose),
  ],
);
