import type { Transactor } from '../../adapters/db/transaction.js';
import type { Clock } from '../../clock.js';
import { errors, type FieldError } from '../../errors.js';
import { normalizeEmail } from '../account/identifiers.js';
import type { AccountLifecycle } from '../account/lifecycle.js';
import {
  conflictFrom,
  toSnapshot,
  type AccountChanges,
  type AccountService,
  type UserRow,
} from '../account/service.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { PasswordPolicy } from '../passwords/policy.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { LockoutService } from '../lockout/service.js';
import type { MfaService } from '../mfa/service.js';
import type { Actor, RbacService } from '../rbac/service.js';
import type { SessionService } from '../sessions/service.js';
import type { OneTimeTokenService } from '../verification/service.js';

export interface NewUserInput {
  email?: string;
  username?: string;
  full_name?: string | null;
  password?: string;
  email_verified?: boolean;
  roles?: string[];
  send_invite?: boolean;
}

export interface UserPatch {
  email?: string;
  username?: string;
  full_name?: string | null;
  metadata?: Record<string, unknown>;
  email_verified?: boolean;
  status?: 'active' | 'disabled';
}

export interface UserWithRoles {
  user: UserRow;
  roles: string[];
}

export interface UserDetail extends UserWithRoles {
  mfaEnabled: boolean;
  activeSessions: number;
}

/** Reason recorded on `user.locked` when the administrator gives none. */
export const ADMIN_LOCK_REASON = 'locked_by_admin';

/**
 * What administrators do to other people's accounts. Each change commits with its event in
 * one transaction and is audited with the administrator as actor. Nobody deletes, locks or
 * disables their own account here (the self-service routes do that), nor the last active admin.
 */
export class AdminService {
  constructor(
    private readonly deps: {
      accounts: AccountService;
      lifecycle: Pick<AccountLifecycle, 'invite' | 'erase'>;
      rbac: Pick<RbacService, 'rolesOf' | 'assignableRoles' | 'grantWithin' | 'assertAdminRemains'>;
      sessions: Pick<SessionService, 'list' | 'revokeAllWithin'>;
      lockout: Pick<LockoutService, 'clearWithin'>;
      mfa: Pick<MfaService, 'isEnabled' | 'reset'>;
      tokens: Pick<OneTimeTokenService, 'deleteForUser'>;
      hasher: PasswordHasher;
      events: DomainEvents;
      transaction: Transactor;
      clock: Clock;
      passwordPolicy: PasswordPolicy;
    },
  ) {}

  /**
   * An account made by an administrator: the registration rules for identifiers and password,
   * the default role plus `roles` (only roles within the actor's own permissions), and with
   * `send_invite` a mail whose link sets the password. 409 when an identifier is taken.
   */
  async createUser(actor: Actor, input: NewUserInput): Promise<UserWithRoles> {
    const { accounts, rbac, lifecycle, hasher } = this.deps;
    const { email, username } = accounts.normalizeNewIdentifiers(input);
    const problems: FieldError[] = [];
    if (input.send_invite && !email) {
      problems.push({ field: 'send_invite', message: 'needs an email address to mail' });
    }
    if (input.send_invite && input.password !== undefined) {
      problems.push({
        field: 'send_invite',
        message: 'cannot be combined with a password: the invitation sets it',
      });
    }
    if (input.email_verified && !email) {
      problems.push({ field: 'email_verified', message: 'needs an email address' });
    }
    if (problems.length > 0) throw errors.validationFailed(problems);
    if (input.password !== undefined) {
      this.deps.passwordPolicy.check(input.password, { email, username });
    }
    const roles = await rbac.assignableRoles(actor.userId, input.roles ?? []);
    const passwordHash = input.password === undefined ? null : await hasher.hash(input.password);
    const invited = input.send_invite === true;
    const user = await accounts.create(
      {
        email,
        username,
        fullName: input.full_name?.trim() || null,
        passwordHash,
        emailVerified: input.email_verified === true,
      },
      {
        context: actor.context,
        actorUserId: actor.userId,
        detail: { roles, invited, password_set: passwordHash !== null },
      },
      async (tx, created) => {
        await rbac.grantWithin(tx, actor, created.id, roles);
        if (invited) {
          await lifecycle.invite(tx, created);
          await this.deps.events.record(tx, actor.context, {
            type: 'user.invited',
            actorUserId: actor.userId,
            subjectUserId: created.id,
          });
        }
      },
    );
    return { user, roles };
  }

  /** Any account, deleted ones included (status `deleted`, personal data gone); 404 if none. */
  async getUser(id: string): Promise<UserDetail> {
    const user = await this.deps.accounts.getById(id);
    if (!user) throw notFound();
    const [roles, mfaEnabled, sessions] = await Promise.all([
      this.deps.rbac.rolesOf(id),
      this.deps.mfa.isEnabled(id),
      this.deps.sessions.list(id, ''),
    ]);
    return { user, roles, mfaEnabled, activeSessions: sessions.length };
  }

  /**
   * Changes profile fields, the address (unverified unless `email_verified` says otherwise;
   * pending links to the old address stop working), the verified flag and the status.
   * Disabling ends every session.
   */
  async updateUser(actor: Actor, id: string, patch: UserPatch): Promise<UserWithRoles> {
    const { accounts, rbac, sessions, events, tokens, clock, transaction } = this.deps;
    const changes: AccountChanges = accounts.profileChanges(patch);
    const newEmail = patch.email === undefined ? undefined : normalizeEmail(patch.email);
    if (patch.status === 'disabled' && id === actor.userId) {
      throw errors.conflict('You cannot disable your own account; another admin can.');
    }
    const fields = Object.keys(patch)
      .filter((key) => patch[key as keyof UserPatch] !== undefined)
      .sort();
    let user: UserRow;
    try {
      user = await transaction(async (tx) => {
        const before = await accounts.lockExisting(tx, id);
        const emailChanged = newEmail !== undefined && newEmail !== before.email;
        if (emailChanged) changes.email = newEmail;
        const now = clock.now();
        if (patch.email_verified !== undefined) {
          if (patch.email_verified && !(newEmail ?? before.email)) {
            throw errors.validationFailed([
              { field: 'email_verified', message: 'the account has no email address' },
            ]);
          }
          const keep = before.emailVerifiedAt !== null && !emailChanged;
          changes.emailVerifiedAt = patch.email_verified
            ? keep
              ? before.emailVerifiedAt
              : now
            : null;
        } else if (emailChanged) {
          changes.emailVerifiedAt = null;
        }
        const disabling = patch.status === 'disabled' && before.status !== 'disabled';
        if (patch.status !== undefined) changes.status = patch.status;
        if (disabling) await rbac.assertAdminRemains(tx, id);

        const after = await accounts.changeWithin(tx, id, changes);
        const endedSessions = disabling
          ? await sessions.revokeAllWithin(tx, id, 'account_disabled')
          : [];
        await events.emit(
          tx,
          'user.updated',
          { ...toSnapshot(after), changed: fields },
          {
            context: actor.context,
            // Which fields changed, never their values.
            audit: {
              type: 'user.updated',
              actorUserId: actor.userId,
              subjectUserId: id,
              detail: {
                fields,
                ...(patch.status ? { status: patch.status } : {}),
                ...(endedSessions.length > 0 ? { sessions_ended: endedSessions } : {}),
              },
            },
          },
        );
        if (emailChanged) {
          // Audited by the `user.updated` entry above (its fields name `email`).
          await events.emit(
            tx,
            'user.email_changed',
            { id, email: after.email!, previous_email: before.email },
            { context: actor.context, audit: null },
          );
          await tokens.deleteForUser(tx, id);
        }
        return after;
      });
    } catch (error) {
      throw conflictFrom(error) ?? error;
    }
    return { user, roles: await this.deps.rbac.rolesOf(id) };
  }

  /** The same erasure as deleting one's own account, done by an administrator. */
  async deleteUser(actor: Actor, id: string): Promise<void> {
    if (id === actor.userId) {
      throw errors.conflict('Delete your own account with DELETE /users/me.');
    }
    // The last-admin check runs in the erasing transaction (RBAC's `user.erasing` rule).
    const erased = await this.deps.lifecycle.erase(id, actor.context, {
      actorUserId: actor.userId,
    });
    if (!erased) throw notFound();
  }

  /**
   * Status `locked` until unlocked (login with the right password answers 423), every session
   * ended. Locking a locked account changes nothing; a disabled one is refused (409).
   */
  async lock(actor: Actor, id: string, reason: string | undefined): Promise<UserWithRoles> {
    if (id === actor.userId) throw errors.conflict('You cannot lock your own account.');
    const { accounts, rbac, sessions, events, transaction } = this.deps;
    const user = await transaction(async (tx) => {
      const before = await accounts.lockExisting(tx, id);
      if (before.status === 'locked') return before;
      if (before.status === 'disabled') {
        throw errors.conflict('The account is disabled; enable it before locking it.');
      }
      await rbac.assertAdminRemains(tx, id);
      const after = await accounts.changeWithin(tx, id, { status: 'locked' });
      const ended = await sessions.revokeAllWithin(tx, id, 'account_locked');
      await events.emit(
        tx,
        'user.locked',
        { id, reason: reason ?? ADMIN_LOCK_REASON, locked_until: null },
        {
          context: actor.context,
          audit: {
            type: 'user.locked',
            actorUserId: actor.userId,
            subjectUserId: id,
            detail: { reason: reason ?? null, sessions_ended: ended },
          },
        },
      );
      return after;
    });
    return { user, roles: await rbac.rolesOf(id) };
  }

  /**
   * Back to `active` from `locked`, and the failed-login lockout of the account's email and
   * username cleared: also the way out of a lockout alone (status still active). A disabled
   * account is enabled with PATCH, not here (409).
   */
  async unlock(actor: Actor, id: string): Promise<UserWithRoles> {
    const { accounts, events, lockout, transaction } = this.deps;
    const user = await transaction(async (tx) => {
      const before = await accounts.lockExisting(tx, id);
      if (before.status === 'disabled') {
        throw errors.conflict('The account is disabled, not locked; enable it with PATCH.');
      }
      const after =
        before.status === 'locked'
          ? await accounts.changeWithin(tx, id, { status: 'active' })
          : before;
      for (const identifier of [after.email, after.username]) {
        if (identifier) await lockout.clearWithin(tx, identifier);
      }
      await events.emit(
        tx,
        'user.unlocked',
        { id },
        {
          context: actor.context,
          audit: {
            type: 'user.unlocked',
            actorUserId: actor.userId,
            subjectUserId: id,
            detail: { status_changed: before.status === 'locked', failed_logins_cleared: true },
          },
        },
      );
      return after;
    });
    return { user, roles: await this.deps.rbac.rolesOf(id) };
  }

  /** Ends every session of the account; returns their ids. */
  async endSessions(actor: Actor, id: string): Promise<string[]> {
    await this.deps.accounts.requireExisting(id);
    const reason = 'admin_revoked';
    return this.deps.transaction(async (tx) => {
      const ended = await this.deps.sessions.revokeAllWithin(tx, id, reason);
      await this.deps.events.record(tx, actor.context, {
        type: 'session.revoked',
        actorUserId: actor.userId,
        subjectUserId: id,
        detail: { session_ids: ended, reason },
      });
      return ended;
    });
  }

  /** Removes a lost second factor (409 when MFA is off); the owner gets a security notice. */
  async resetMfa(actor: Actor, id: string): Promise<void> {
    const user = await this.deps.accounts.requireExisting(id);
    await this.deps.mfa.reset(actor.userId, user, actor.context);
  }
}

function notFound() {
  return errors.notFound('There is no such account.');
}
