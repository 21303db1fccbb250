import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  jsonb,
  boolean,
  pgTable,
  primaryKey,
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
    // The admin trail's filters: text_pattern_ops serves both `type = …` and `type LIKE 'auth.%'`.
    index('audit_events_type_idx').on(t.type.op('text_pattern_ops'), t.occurredAt, t.seq),
    index('audit_events_actor_idx').on(t.actorUserId, t.occurredAt, t.seq),
  ],
);

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
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
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
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamptz('used_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [index('backup_codes_user_idx').on(t.userId, t.codeHash)],
);

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

/**
 * Roles: named sets of permissions (`resource:action`, `*` wildcards). `built_in` roles
 * (`user`, `admin`) are seeded by the migration and cannot be deleted.
 */
export const roles = pgTable('roles', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  builtIn: boolean('built_in').notNull().default(false),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

export const rolePermissions = pgTable(
  'role_permissions',
  {
    roleName: text('role_name')
      .notNull()
      .references(() => roles.name, { onDelete: 'cascade' }),
    permission: text('permission').notNull(),
  },
  (t) => [primaryKey({ name: 'role_permissions_pkey', columns: [t.roleName, t.permission] })],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** No cascade: a role still held by someone cannot be deleted by accident. */
    roleName: text('role_name')
      .notNull()
      .references(() => roles.name),
    assignedAt: timestamptz('assigned_at').notNull().defaultNow(),
    /** The admin who assigned it; null for the default role and the CLI. */
    assignedBy: uuid('assigned_by'),
  },
  (t) => [
    primaryKey({ name: 'user_roles_pkey', columns: [t.userId, t.roleName] }),
    // "Who holds role X" (the admin list's role filter, last-admin checks).
    index('user_roles_role_user_idx').on(t.roleName, t.userId),
  ],
);
