import type { Database } from '../../adapters/db/index.js';
import type { ImportedUser } from './rows.js';

/**
 * Bulk reads and writes for `users import` and `users export`. The one place that writes
 * `users`, `user_roles` and `outbox` outside their modules, on purpose: a batch is one
 * statement (one round trip, one implicit transaction), which the per-row services cannot give
 * at 5,000+ rows/s. The rows written are the same as AccountService.create, the default role
 * grant and Outbox.event produce.
 */

/** A validated row with its final id and roles (default role included). */
export interface BatchUser extends ImportedUser {
  id: string;
}

/**
 * One statement per batch. Roles travel as one comma-joined text per user (role names hold no
 * comma) and the `user.created` data is built here from the same columns, as
 * AccountService.create would build it: fewer bytes to send and parse than one array per grant.
 */
const INSERT_BATCH = `
WITH input AS (
  SELECT *
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
              $7::text[], $8::timestamptz[], $9::text[])
       WITH ORDINALITY
       AS t(id, email, username, full_name, email_verified_at, password_hash, metadata,
            created_at, roles, ord)
),
inserted AS (
  INSERT INTO users (id, email, username, full_name, email_verified_at, password_hash, metadata,
                     created_at, updated_at)
  SELECT id, email, username, full_name, email_verified_at, password_hash, metadata::jsonb,
         created_at, $10::timestamptz
  FROM input
  ON CONFLICT DO NOTHING
  RETURNING id
),
granted AS (
  INSERT INTO user_roles (user_id, role_name, assigned_at)
  SELECT input.id, role.name, $10::timestamptz
  FROM input
  JOIN inserted ON inserted.id = input.id
  CROSS JOIN LATERAL unnest(string_to_array(input.roles, ',')) AS role(name)
),
announced AS (
  INSERT INTO outbox (id, kind, type, subject, payload, created_at, next_attempt_at)
  SELECT gen_random_uuid(), 'event', 'user.created', input.id,
         jsonb_build_object(
           'id', input.id, 'email', input.email, 'username', input.username,
           'full_name', input.full_name, 'email_verified', input.email_verified_at IS NOT NULL,
           'status', 'active',
           'created_at',
           to_char(input.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         $10::timestamptz, $10::timestamptz
  FROM input
  JOIN inserted ON inserted.id = input.id
  WHERE $11::boolean
  ORDER BY input.ord
)
SELECT id FROM inserted`;

/** A page of export: keyset on (created_at, id); the cursor keeps the database's microseconds. */
const EXPORT_PAGE = `
SELECT u.id, u.email, u.username, u.full_name AS "fullName",
       u.email_verified_at AS "emailVerifiedAt", u.created_at AS "createdAt",
       u.created_at::text AS "cursor", u.metadata, u.password_hash AS "passwordHash",
       COALESCE((SELECT array_agg(r.role_name ORDER BY r.role_name)
                 FROM user_roles r WHERE r.user_id = u.id), '{}') AS roles
FROM users u
WHERE u.status <> 'deleted'
  AND ($1::timestamptz IS NULL OR (u.created_at, u.id) > ($1::timestamptz, $2::uuid))
ORDER BY u.created_at, u.id
LIMIT $3`;

export interface ExportedUserRow {
  id: string;
  email: string | null;
  username: string | null;
  fullName: string | null;
  emailVerifiedAt: Date | string | null;
  createdAt: Date | string;
  cursor: string;
  metadata: Record<string, unknown>;
  passwordHash: string | null;
  roles: string[];
}

export interface ExportCursor {
  createdAt: string;
  id: string;
}

export class TransferRepository {
  constructor(private readonly database: Database) {}

  async roleNames(): Promise<string[]> {
    const rows = await this.database.query<{ name: string }>(
      'transfer_role_names',
      'SELECT name FROM roles',
      [],
    );
    return rows.map((row) => row.name);
  }

  /**
   * Inserts the users that conflict with nothing (email, username or id already taken), their
   * roles and, when `events`, their `user.created` events. Returns the ids inserted.
   */
  async insertBatch(batch: BatchUser[], now: Date, events: boolean): Promise<Set<string>> {
    const rows = await this.database.query<{ id: string }>('transfer_insert_batch', INSERT_BATCH, [
      batch.map((u) => u.id),
      batch.map((u) => u.email),
      batch.map((u) => u.username),
      batch.map((u) => u.fullName),
      batch.map((u) => u.emailVerifiedAt?.toISOString() ?? null),
      batch.map((u) => u.passwordHash),
      batch.map((u) => JSON.stringify(u.metadata)),
      batch.map((u) => u.createdAt.toISOString()),
      batch.map((u) => u.roles.join(',')),
      now.toISOString(),
      events,
    ]);
    return new Set(rows.map((row) => row.id));
  }

  page(after: ExportCursor | undefined, limit: number): Promise<ExportedUserRow[]> {
    return this.database.query<ExportedUserRow>('transfer_export_page', EXPORT_PAGE, [
      after?.createdAt ?? null,
      after?.id ?? null,
      limit,
    ]);
  }
}
