import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { citext, timestamptz } from '../../adapters/db/columns.js';

/** Owned by the account module (repository.ts); the admin directory reads it (see there). */

export const USER_STATUSES = ['active', 'locked', 'disabled', 'deleted'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: citext('email').unique('users_email_key'),
    username: citext('username').unique('users_username_key'),
    fullName: text('full_name'),
    status: text('status').$type<UserStatus>().notNull().default('active'),
    emailVerifiedAt: timestamptz('email_verified_at'),
    passwordHash: text('password_hash'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // A deleted account is anonymised in place: it keeps its id but neither identifier.
    check(
      'users_identifier_present',
      sql`${t.email} IS NOT NULL OR ${t.username} IS NOT NULL OR ${t.status} = 'deleted'`,
    ),
    check('users_status_valid', sql`${t.status} IN ('active', 'locked', 'disabled', 'deleted')`),
    // Newest first (the admin directory, src/modules/admin/user-directory.ts). The columns after
    // (created_at, id) only make it covering: a search for a common prefix walks this index
    // newest first and tests each entry without visiting the table (an index-only scan), ten
    // times faster than fetching every row it rejects.
    index('users_directory_idx').on(
      t.createdAt,
      t.id,
      t.status,
      t.emailVerifiedAt,
      t.email,
      t.username,
      t.fullName,
    ),
    // Each filter, newest first.
    index('users_status_created_at_id_idx').on(t.status, t.createdAt, t.id),
    // Two partial indexes rather than one on `email_verified_at IS NULL`: the planner folds
    // `(x IS NULL) = false` into `x IS NOT NULL`, which no longer matches such an index.
    index('users_verified_created_at_id_idx')
      .on(t.createdAt, t.id)
      .where(sql`${t.emailVerifiedAt} IS NOT NULL`),
    index('users_unverified_created_at_id_idx')
      .on(t.createdAt, t.id)
      .where(sql`${t.emailVerifiedAt} IS NULL`),
    // Prefix search `lower(key) LIKE 'abc%'`: text_pattern_ops compares byte-wise whatever the
    // collation, which is what lets the planner turn the LIKE into an index range. The
    // expressions must stay identical to the ones the directory queries with. Each carries
    // what a page needs (created_at, id), the default status filter and the column itself
    // (PostgreSQL rechecks the LIKE on it), so a prefix's matches come from the index alone.
    index('users_email_prefix_idx').using(
      'btree',
      sql`lower(${t.email}::text) text_pattern_ops`,
      t.createdAt,
      t.id,
      t.status,
      t.email,
    ),
    index('users_username_prefix_idx').using(
      'btree',
      sql`lower(${t.username}::text) text_pattern_ops`,
      t.createdAt,
      t.id,
      t.status,
      t.username,
    ),
    index('users_full_name_prefix_idx').using(
      'btree',
      sql`lower(${t.fullName}) text_pattern_ops`,
      t.createdAt,
      t.id,
      t.status,
      t.fullName,
    ),
    // The name after its first word: "smi" finds "John Smith", "ann" finds "Mary Ann Smith".
    // (substr/strpos rather than a regexp: the filter runs per row when the directory walks
    // the newest accounts, and a regexp costs four times as much.)
    index('users_full_name_rest_prefix_idx').using(
      'btree',
      sql`substr(lower(${t.fullName}), strpos(${t.fullName}, ' ') + 1) text_pattern_ops`,
      t.createdAt,
      t.id,
      t.status,
      t.fullName,
    ),
  ],
);

/**
 * `user_id` of a table holding something of an account's (sessions, tokens, factors, roles):
 * it goes when the account's row does.
 */
export const userReference = () =>
  uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' });
