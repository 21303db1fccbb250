import { recognizeHash } from '../passwords/legacy-hashes.js';
import {
  emailProblem,
  normalizeEmail,
  normalizeUsername,
  usernameProblem,
} from '../account/identifiers.js';
import { MAX_METADATA_BYTES } from '../account/service.js';

/**
 * One row of `gatehouse users import`, as JSONL objects and CSV records both describe it, and its
 * validation: the rules of registration (identifiers.ts, the `email` format of the API schemas).
 */

/** The columns of import and export, in CSV header order. */
export const TRANSFER_COLUMNS = [
  'id',
  'email',
  'username',
  'full_name',
  'email_verified',
  'email_verified_at',
  'created_at',
  'metadata',
  'roles',
  'password_hash',
] as const;

export const REJECT_REASONS = [
  'invalid_row',
  'missing_identifier',
  'invalid_email',
  'invalid_username',
  'invalid_field',
  'unsupported_hash',
  'unknown_role',
  'duplicate',
  'already_exists',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface ImportedUser {
  id: string | undefined;
  email: string | null;
  username: string | null;
  fullName: string | null;
  passwordHash: string | null;
  emailVerifiedAt: Date | null;
  createdAt: Date;
  metadata: Record<string, unknown>;
  /** Listed roles, deduplicated; the default role is added by the importer. */
  roles: string[];
}

export type RowCheck =
  { ok: true; user: ImportedUser } | { ok: false; reason: RejectReason; message: string };

const FULL_NAME_MAX_LENGTH = 200;
const MAX_ROLES = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,62}$/;

const reject = (reason: RejectReason, message: string): RowCheck => ({
  ok: false,
  reason,
  message,
});

/** Validates a JSONL object (or a CSV record after `fromCsvRecord`); `now` fills in `created_at`. */
export function checkRow(raw: unknown, now: Date): RowCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return reject('invalid_row', 'is not a JSON object');
  }
  const row = raw as Record<string, unknown>;

  for (const field of ['id', 'email', 'username', 'full_name', 'password_hash'] as const) {
    const value = row[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return reject('invalid_field', `${field} must be a string`);
    }
  }
  const text = (field: string) => {
    const value = row[field] as string | null | undefined;
    return value === undefined || value === null || value.trim() === '' ? null : value;
  };

  const rawEmail = text('email');
  const rawUsername = text('username');
  if (rawEmail === null && rawUsername === null) {
    return reject('missing_identifier', 'an email or a username is required');
  }
  const email = rawEmail === null ? null : normalizeEmail(rawEmail);
  if (email !== null && emailProblem(email)) {
    return reject('invalid_email', 'email must be a valid email');
  }
  const username = rawUsername === null ? null : normalizeUsername(rawUsername);
  if (username !== null) {
    const problem = usernameProblem(username);
    if (problem) return reject('invalid_username', `username ${problem}`);
  }

  const id = text('id');
  if (id !== null && !UUID.test(id)) return reject('invalid_field', 'id must be a UUID');

  const fullName = text('full_name')?.trim() ?? null;
  if (fullName !== null && fullName.length > FULL_NAME_MAX_LENGTH) {
    return reject('invalid_field', `full_name must be at most ${FULL_NAME_MAX_LENGTH} characters`);
  }

  const passwordHash = text('password_hash');
  if (passwordHash !== null && !recognizeHash(passwordHash)) {
    return reject(
      'unsupported_hash',
      'password_hash is not a supported bcrypt, argon2 or scrypt hash',
    );
  }

  const created = timestamp(row.created_at);
  if (created === 'invalid') return reject('invalid_field', 'created_at must be an ISO 8601 time');
  const createdAt = created ?? now;
  const verifiedAt = verification(row.email_verified, row.email_verified_at, createdAt);
  if (typeof verifiedAt === 'string') return reject('invalid_field', verifiedAt);
  if (verifiedAt !== null && email === null) {
    return reject('invalid_field', 'email_verified needs an email');
  }

  const metadata = row.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return reject('invalid_field', 'metadata must be a JSON object');
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    return reject('invalid_field', `metadata must be at most ${MAX_METADATA_BYTES} bytes`);
  }

  const roles = row.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
    return reject('invalid_field', 'roles must be an array of role names');
  }
  const uniqueRoles = [...new Set(roles.map((role) => role.trim()).filter((role) => role))];
  if (uniqueRoles.length > MAX_ROLES) {
    return reject('invalid_field', `roles must list at most ${MAX_ROLES} roles`);
  }
  const badRole = uniqueRoles.find((role) => !ROLE_NAME.test(role));
  if (badRole !== undefined) return reject('unknown_role', `role "${badRole}" does not exist`);

  return {
    ok: true,
    user: {
      id: id?.toLowerCase(),
      email,
      username,
      fullName,
      passwordHash,
      emailVerifiedAt: verifiedAt,
      createdAt,
      metadata: metadata as Record<string, unknown>,
      roles: uniqueRoles,
    },
  };
}

function timestamp(value: unknown): Date | undefined | 'invalid' {
  if (value === undefined || value === null || value === '') return undefined;
  // A date and a time: `Date` alone would also take "2024" or "March 7".
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/.test(value)
  ) {
    return 'invalid';
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? 'invalid' : date;
}

/**
 * `email_verified_at` wins; a bare `email_verified: true` counts as verified when the account
 * was created (the source system rarely kept the moment).
 */
function verification(flag: unknown, at: unknown, createdAt: Date): Date | null | string {
  const when = timestamp(at);
  if (when === 'invalid') return 'email_verified_at must be an ISO 8601 time';
  if (flag !== undefined && flag !== null && typeof flag !== 'boolean') {
    return 'email_verified must be true or false';
  }
  if (flag === false) return null;
  if (when) return when;
  return flag === true ? createdAt : null;
}

/**
 * A CSV record (header → text) in the shape of a JSONL row: empty cells are absent,
 * `email_verified` is true/false/1/0/yes/no, `metadata` a JSON object in text, `roles` split on `;`.
 */
export function fromCsvRecord(record: Record<string, string>): unknown {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value !== '') row[key] = value;
  }
  if (typeof row.email_verified === 'string') {
    const flag = row.email_verified.trim().toLowerCase();
    if (['true', '1', 'yes', 't'].includes(flag)) row.email_verified = true;
    else if (['false', '0', 'no', 'f'].includes(flag)) row.email_verified = false;
  }
  if (typeof row.metadata === 'string') {
    try {
      row.metadata = JSON.parse(row.metadata);
    } catch {
      // Left as text: checkRow rejects it as not being a JSON object.
    }
  }
  if (typeof row.roles === 'string') row.roles = row.roles.split(';');
  return row;
}
