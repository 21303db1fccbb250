import type { Clock } from '../../clock.js';
import type { Tx } from '../../adapters/db/index.js';
import { uniqueViolation } from '../../adapters/db/errors.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { Outbox } from '../events/outbox.js';
import type { UserSnapshot } from '../events/types.js';
import { errors, type FieldError } from '../../errors.js';
import {
  emailProblem,
  normalizeEmail,
  normalizeUsername,
  parseIdentifier,
  usernameProblem,
} from './identifiers.js';
import type { RequestContext } from '../../request-context.js';
import type { AuditService } from '../audit/service.js';
import type { AccountChanges, ProfileChanges, UserRepository, UserRow } from './repository.js';

/** What the API shows of an account: the event snapshot plus metadata and timestamps. */
export interface PublicUser extends UserSnapshot {
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface NewAccount {
  email: string | null;
  username: string | null;
  fullName: string | null;
  /** Null: no password yet (an invited account sets it through the reset flow). */
  passwordHash: string | null;
  /** The address is vouched for by whoever creates the account (an admin, the CLI). */
  emailVerified?: boolean;
}

export interface ProfilePatch {
  full_name?: string | null;
  username?: string;
  metadata?: Record<string, unknown>;
}

/** Serialized metadata is capped: it rides along in every profile read. */
export const MAX_METADATA_BYTES = 16_384;

const CONFLICT_FIELDS: Record<string, FieldError> = {
  users_email_key: { field: 'email', message: 'is already registered' },
  users_username_key: { field: 'username', message: 'is already taken' },
};

/** The account as events describe it: no metadata, no secrets. */
export function toSnapshot(user: UserRow): UserSnapshot {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    full_name: user.fullName,
    email_verified: user.emailVerifiedAt !== null,
    status: user.status,
  };
}

export function toPublicUser(user: UserRow): PublicUser {
  return {
    ...toSnapshot(user),
    metadata: user.metadata,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

/** Accounts: the owner of the `users` table for every other module. */
export class AccountService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      clock: Clock;
      audit: Pick<AuditService, 'record'>;
      outbox: Outbox;
      transaction: Transactor;
      /** Gives a new account its default role, in the transaction that creates it. */
      onCreate?: (tx: Tx, user: UserRow) => Promise<void>;
    },
  ) {}

  /** Checks the shape of a new account's identifiers; returns them normalized. */
  normalizeNewIdentifiers(input: { email?: string | null; username?: string | null }) {
    const email = input.email ? normalizeEmail(input.email) : null;
    // A given username is checked after normalization: "   " must not become "".
    const username =
      input.username === undefined || input.username === null
        ? null
        : normalizeUsername(input.username);
    const problems: FieldError[] = [];
    if (!email && !username) {
      problems.push({ field: 'email', message: 'an email or a username is required' });
    }
    // The HTTP schemas check this too; the CLI and start-up (ADMIN_EMAIL) come in here only.
    const badEmail = email === null ? undefined : emailProblem(email);
    if (badEmail) problems.push({ field: 'email', message: badEmail });
    if (username !== null) {
      const problem = usernameProblem(username);
      if (problem) problems.push({ field: 'username', message: problem });
    }
    if (problems.length > 0) throw errors.validationFailed(problems);
    return { email, username };
  }

  /**
   * Inserts the account with its `user.created` event, and whatever `within` adds (the
   * verification mail), in one transaction; the database's unique constraints decide races
   * (→ 409, and nothing is announced).
   */
  async create(
    account: NewAccount,
    within?: (tx: Tx, user: UserRow) => Promise<void>,
  ): Promise<UserRow> {
    const { users, clock, outbox, transaction } = this.deps;
    const now = clock.now();
    try {
      return await transaction(async (tx) => {
        const { emailVerified, ...fields } = account;
        const user = await users.insert(
          {
            ...fields,
            emailVerifiedAt: emailVerified && fields.email ? now : null,
            createdAt: now,
            updatedAt: now,
          },
          tx,
        );
        await this.deps.onCreate?.(tx, user);
        await outbox.event(tx, 'user.created', user.id, {
          ...toSnapshot(user),
          created_at: user.createdAt.toISOString(),
        });
        await within?.(tx, user);
        return user;
      });
    } catch (error) {
      throw conflictFrom(error) ?? error;
    }
  }

  getById(id: string): Promise<UserRow | undefined> {
    return this.deps.users.findById(id);
  }

  async requireActive(id: string): Promise<UserRow> {
    const user = await this.deps.users.findById(id);
    if (!user || user.status === 'deleted')
      throw errors.invalidToken('The account no longer exists.');
    if (user.status !== 'active') throw errors.forbidden('The account is not active.');
    return user;
  }

  /** Finds by email or username (case-insensitive); deleted accounts are never found. */
  async findByIdentifier(raw: string): Promise<UserRow | undefined> {
    const identifier = parseIdentifier(raw);
    if (identifier.value.length === 0 || identifier.value.length > 320) return undefined;
    const user =
      identifier.kind === 'email'
        ? await this.deps.users.findByEmail(identifier.value)
        : await this.deps.users.findByUsername(identifier.value);
    return user && user.status !== 'deleted' ? user : undefined;
  }

  /** Checks a profile patch (the owner's or an administrator's); returns the column changes. */
  profileChanges(patch: ProfilePatch): ProfileChanges {
    const changes: ProfileChanges = {};
    const problems: FieldError[] = [];
    if (patch.full_name !== undefined) changes.fullName = patch.full_name?.trim() || null;
    if (patch.username !== undefined) {
      const username = normalizeUsername(patch.username);
      const problem = usernameProblem(username);
      if (problem) problems.push({ field: 'username', message: problem });
      changes.username = username;
    }
    if (patch.metadata !== undefined) {
      if (Buffer.byteLength(JSON.stringify(patch.metadata)) > MAX_METADATA_BYTES) {
        problems.push({
          field: 'metadata',
          message: `must serialize to at most ${MAX_METADATA_BYTES} bytes`,
        });
      }
      changes.metadata = patch.metadata;
    }
    if (problems.length > 0) throw errors.validationFailed(problems);
    return changes;
  }

  /** The account, unless it is missing or deleted (404). */
  async requireExisting(id: string): Promise<UserRow> {
    return existing(await this.deps.users.findById(id));
  }

  /**
   * Within the caller's transaction: the account (404 when missing or deleted), its row locked
   * until the transaction ends.
   */
  async lockExisting(tx: Tx, id: string): Promise<UserRow> {
    return existing(await this.deps.users.findForUpdate(tx, id));
  }

  /** Within the caller's transaction (who announces the change); 404 when there is no such account. */
  async changeWithin(tx: Tx, id: string, changes: AccountChanges): Promise<UserRow> {
    return existing(await this.deps.users.update(id, changes, this.deps.clock.now(), tx));
  }

  async updateProfile(id: string, patch: ProfilePatch, context: RequestContext): Promise<UserRow> {
    const changes = this.profileChanges(patch);
    const { users, clock, outbox, transaction } = this.deps;
    try {
      const updated = await transaction(async (tx) => {
        const row = await users.update(id, changes, clock.now(), tx);
        if (!row) throw errors.notFound('The account no longer exists.');
        await outbox.event(tx, 'user.updated', id, {
          ...toSnapshot(row),
          changed: Object.keys(patch).filter(
            (key) => patch[key as keyof ProfilePatch] !== undefined,
          ),
        });
        return row;
      });
      // Which fields changed, never their values.
      await this.deps.audit.record(context, {
        type: 'user.updated',
        subjectUserId: id,
        detail: { fields: Object.keys(patch).sort() },
      });
      return updated;
    } catch (error) {
      throw conflictFrom(error) ?? error;
    }
  }

  setPasswordHash(id: string, passwordHash: string): Promise<void> {
    return this.deps.users.setPasswordHash(id, passwordHash);
  }
}

function existing(user: UserRow | undefined): UserRow {
  if (!user || user.status === 'deleted') throw errors.notFound('There is no such account.');
  return user;
}

/** The 409 for a unique identifier already taken, or undefined for any other error. */
export function conflictFrom(error: unknown) {
  const constraint = uniqueViolation(error);
  if (!constraint) return undefined;
  const field = CONFLICT_FIELDS[constraint] ?? { field: 'email', message: 'is already in use' };
  return errors.conflict(`That ${field.field} ${field.message}.`, { errors: [field] });
}
