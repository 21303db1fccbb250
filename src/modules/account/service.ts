import type { Clock } from '../../clock.js';
import type { Tx } from '../../adapters/db/index.js';
import { uniqueViolation } from '../../adapters/db/errors.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { AuditEntry } from '../audit/types.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { EventData, UserSnapshot } from '../events/types.js';
import { errors, type FieldError } from '../../errors.js';
import {
  emailProblem,
  normalizeEmail,
  normalizeUsername,
  parseIdentifier,
  usernameProblem,
} from './identifiers.js';
import type { RequestContext } from '../../request-context.js';
import type { AccountChanges, ProfileChanges, UserRepository, UserRow } from './repository.js';

import type { ExportCursor, ExportedAccount } from './repository.js';

export type { AccountChanges, ExportCursor, ExportedAccount, UserRow } from './repository.js';
export { USER_STATUSES, type UserStatus } from './schema.js';

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

/** An account as another system kept it (import): its own id, dates and verified address. */
export type NewAccountRow = Pick<
  UserRow,
  'email' | 'username' | 'fullName' | 'passwordHash' | 'emailVerifiedAt' | 'createdAt' | 'metadata'
>;

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

/** `data` of `user.created`: built here only, for every way an account comes to be (import too). */
export function userCreatedEvent(user: UserRow): EventData['user.created'] {
  return { ...toSnapshot(user), created_at: user.createdAt.toISOString() };
}

/** Who made the account and what the audit trail says about it. */
export interface Creation {
  context: RequestContext;
  /** The administrator (or null: the CLI, start-up); the account itself when absent. */
  actorUserId?: string | null;
  detail?: AuditEntry['detail'];
}

/** The `user.created` audit entry, beside the event: one builder for every creation path. */
export function userCreatedAudit(
  user: Pick<UserRow, 'id'>,
  creation: Omit<Creation, 'context'>,
): AuditEntry {
  return {
    type: 'user.created',
    subjectUserId: user.id,
    ...(creation.actorUserId === undefined ? {} : { actorUserId: creation.actorUserId }),
    ...(creation.detail ? { detail: creation.detail } : {}),
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
      events: DomainEvents;
      transaction: Transactor;
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
   * Inserts the account and emits `user.created` (outbox event, audit row and the other
   * modules' reactions: the default role), and whatever `within` adds (the verification mail),
   * in one transaction; the database's unique constraints decide races (→ 409, and nothing is
   * announced).
   */
  async create(
    account: NewAccount,
    creation: Creation,
    within?: (tx: Tx, user: UserRow) => Promise<void>,
  ): Promise<UserRow> {
    const { users, clock, events, transaction } = this.deps;
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
        await events.emit(tx, 'user.created', userCreatedEvent(user), {
          context: creation.context,
          audit: userCreatedAudit(user, creation),
        });
        await within?.(tx, user);
        return user;
      });
    } catch (error) {
      throw conflictFrom(error) ?? error;
    }
  }

  /**
   * The bulk path of `create` (`users import`): inserts the accounts that conflict with nothing
   * and emits one `user.created` per inserted account through the seam's bulk path — the same
   * event and audit entry as `create` builds, the same reactions (default role) — plus what
   * `within` adds, in one transaction. Returns the inserted accounts.
   */
  async createMany(
    accounts: readonly (NewAccountRow & { id: string })[],
    creation: Creation & { publish: boolean },
    within?: (tx: Tx, users: UserRow[]) => Promise<void>,
  ): Promise<UserRow[]> {
    const { users, clock, events, transaction } = this.deps;
    const now = clock.now();
    return transaction(async (tx) => {
      const inserted = await users.insertMany(
        tx,
        accounts.map((account) => ({ ...account, updatedAt: now })),
      );
      await events.emitMany(tx, 'user.created', inserted.map(userCreatedEvent), {
        context: creation.context,
        audit: inserted.map((user) => userCreatedAudit(user, creation)),
        publish: creation.publish,
      });
      await within?.(tx, inserted);
      return inserted;
    });
  }

  /** A page of `users export`: accounts that are not deleted, oldest first, after `after`. */
  exportPage(after: ExportCursor | undefined, limit: number): Promise<ExportedAccount[]> {
    return this.deps.users.exportPage(after, limit);
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

  /** Within the caller's transaction: how many of `ids` are active accounts. */
  countActiveWithin(tx: Tx, ids: readonly string[]): Promise<number> {
    return this.deps.users.countActive(tx, ids);
  }

  /** Within the caller's transaction (who announces the change); 404 when there is no such account. */
  async changeWithin(tx: Tx, id: string, changes: AccountChanges): Promise<UserRow> {
    return existing(await this.deps.users.update(id, changes, this.deps.clock.now(), tx));
  }

  async updateProfile(id: string, patch: ProfilePatch, context: RequestContext): Promise<UserRow> {
    const changes = this.profileChanges(patch);
    const { users, clock, events, transaction } = this.deps;
    try {
      return await transaction(async (tx) => {
        const row = await users.update(id, changes, clock.now(), tx);
        if (!row) throw errors.notFound('The account no longer exists.');
        const changed = Object.keys(patch).filter(
          (key) => patch[key as keyof ProfilePatch] !== undefined,
        );
        await events.emit(
          tx,
          'user.updated',
          { ...toSnapshot(row), changed },
          // Which fields changed, never their values.
          {
            context,
            audit: {
              type: 'user.updated',
              subjectUserId: id,
              detail: { fields: Object.keys(patch).sort() },
            },
          },
        );
        return row;
      });
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
