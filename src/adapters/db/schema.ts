import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * The whole database schema. Each module's repository owns its tables and is the only code
 * that queries them; `drizzle-kit generate` turns changes here into SQL under migrations/.
 */

/** Case-insensitive text: uniqueness of emails and usernames ignores case in the database itself. */
const citext = customType<{ data: string }>({ dataType: () => 'citext' });

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

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
    check('users_identifier_present', sql`${t.email} IS NOT NULL OR ${t.username} IS NOT NULL`),
    check('users_status_valid', sql`${t.status} IN ('active', 'locked', 'disabled', 'deleted')`),
    index('users_created_at_id_idx').on(t.createdAt, t.id),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
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

export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  /** PKCS#8 PEM, plain or sealed with AES-256-GCM (see `encryption`). */
  privateKey: text('private_key').notNull(),
  encryption: text('encryption').$type<'none' | 'aes-256-gcm'>().notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  notBefore: timestamptz('not_before').notNull().defaultNow(),
  retireAfter: timestamptz('retire_after'),
});

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
  ],
);
