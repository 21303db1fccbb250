import type { Tx } from '../../adapters/db/index.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { PasswordPolicy } from '../passwords/policy.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { SessionService } from '../sessions/service.js';
import type { AddressLimiter } from '../verification/address-limiter.js';
import type { OneTimeTokenService, Proof } from '../verification/service.js';
import { normalizeEmail } from './identifiers.js';
import type { UserRepository, UserRow } from './repository.js';
import { uniqueViolation } from '../../adapters/db/errors.js';
import type { RequestContext } from '../../request-context.js';

export interface LifecycleSettings {
  publicUrl: string;
  passwordResetUrl: string;
  codeTtlSeconds: number;
  /**
   * Requests that must not reveal whether an address has an account (verification and reset
   * requests) take at least this long, whichever path they take.
   */
  uniformResponseMs: number;
}

/** An invitation gives its addressee a week to choose a password. */
export const INVITE_TTL_SECONDS = 7 * 86_400;

/** Who erases an account other than its owner. */
export interface Eraser {
  actorUserId: string;
}

export interface LifecycleDeps {
  users: UserRepository;
  tokens: OneTimeTokenService;
  sessions: SessionService;
  events: DomainEvents;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  limiter: AddressLimiter;
  clock: Clock;
  transaction: Transactor;
  settings: LifecycleSettings;
}

export type ConfirmResult =
  | { kind: 'email_verified'; email: string; userId: string }
  | { kind: 'email_changed'; email: string; userId: string };

/**
 * The account's lifecycle after registration: email verification, password reset, password
 * and email change, deletion. Every change writes its event, audit row and mail through the
 * DomainEvents seam in the transaction that makes it.
 */
export class AccountLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /** Within registration's transaction: the first verification mail. */
  async startVerification(tx: Tx, user: UserRow): Promise<void> {
    if (!user.email || user.emailVerifiedAt) return;
    await this.mailVerification(tx, user.id, user.email);
  }

  /**
   * Within an admin-created account's transaction: mails an invitation whose link or code sets
   * the first password through `POST /auth/password/reset` (see `resetPassword`).
   */
  async invite(tx: Tx, user: UserRow): Promise<void> {
    if (!user.email) throw new Error('an invitation needs an email address');
    const issued = await this.deps.tokens.issue(
      tx,
      user.id,
      'invite',
      user.email,
      INVITE_TTL_SECONDS,
    );
    await this.deps.events.mail(tx, user.id, user.email, {
      template: 'invite',
      code: issued.code,
      link: linkWithToken(this.deps.settings.passwordResetUrl, issued.token),
      ttlDays: Math.round(INVITE_TTL_SECONDS / 86_400),
    });
  }

  /** 202 whatever happens: nothing tells whether the address has an account. */
  async requestVerification(rawEmail: string): Promise<void> {
    await this.uniformly(async () => {
      const email = normalizeEmail(rawEmail);
      if (!(await this.deps.limiter.tryTake(`verify_email:${email.toLowerCase()}`)).allowed) return;
      const user = await this.deps.users.findByEmail(email);
      if (!user?.email || user.status !== 'active' || user.emailVerifiedAt) return;
      await this.deps.transaction((tx) => this.mailVerification(tx, user.id, user.email!));
    });
  }

  /** Confirms a verification or an email change with the link's token or the address and code. */
  async confirmEmail(proof: Proof, context: RequestContext): Promise<ConfirmResult> {
    const { tokens, users, events, clock, transaction } = this.deps;
    const row = await tokens.resolve(normalizeProof(proof), ['verify_email', 'change_email']);
    const user = await users.findById(row.userId);
    if (!user || user.status !== 'active') throw errors.invalidOneTimeToken();
    const audit = (change: boolean) => ({
      type: 'email.verified' as const,
      subjectUserId: user.id,
      detail: { change },
    });
    try {
      // Only `tx` inside: PGlite runs one statement at a time, so a query outside the
      // transaction would wait for it forever.
      return await transaction(async (tx) => {
        await tokens.consume(tx, row);
        const now = clock.now();
        if (row.purpose === 'change_email') {
          const changed = await users.changeEmail(tx, user.id, row.email, now);
          if (!changed?.email) throw errors.invalidOneTimeToken();
          await events.emit(
            tx,
            'user.email_changed',
            { id: user.id, email: changed.email, previous_email: user.email },
            { context, audit: audit(true) },
          );
          return { kind: 'email_changed' as const, email: changed.email, userId: user.id };
        }
        // A link to an address the account no longer has is void.
        if (!user.email || user.email.toLowerCase() !== row.email.toLowerCase()) {
          throw errors.invalidOneTimeToken();
        }
        if (user.emailVerifiedAt) {
          // Confirmed again: nothing changes, but the confirmation is on record as before.
          await events.record(tx, context, audit(false));
        } else {
          const verified = await users.markEmailVerified(tx, user.id, user.email, now);
          if (!verified) throw errors.invalidOneTimeToken();
          await events.emit(
            tx,
            'user.email_verified',
            { id: user.id, email: user.email },
            { context, audit: audit(false) },
          );
        }
        return { kind: 'email_verified' as const, email: user.email, userId: user.id };
      });
    } catch (error) {
      // The new address was taken since the request: the token stays usable (rolled back).
      if (uniqueViolation(error)) {
        throw errors.conflict('That email is already registered.', {
          errors: [{ field: 'email', message: 'is already registered' }],
        });
      }
      throw error;
    }
  }

  /** 202 whatever happens, in about the same time for known and unknown addresses. */
  async forgotPassword(rawEmail: string, context: RequestContext): Promise<void> {
    await this.uniformly(async () => {
      const email = normalizeEmail(rawEmail);
      if (!(await this.deps.limiter.tryTake(`reset_password:${email.toLowerCase()}`)).allowed)
        return;
      const user = await this.deps.users.findByEmail(email);
      if (!user?.email || user.status !== 'active') return;
      const to = user.email;
      await this.deps.transaction(async (tx) => {
        const issued = await this.deps.tokens.issue(tx, user.id, 'reset_password', to);
        await this.deps.events.mail(tx, user.id, to, {
          template: 'reset_password',
          code: issued.code,
          link: linkWithToken(this.deps.settings.passwordResetUrl, issued.token),
          ttlMinutes: this.ttlMinutes(),
        });
        await this.deps.events.record(tx, context, {
          type: 'password.reset_requested',
          subjectUserId: user.id,
          actorUserId: null,
        });
      });
    });
  }

  /**
   * Sets a new password with a reset token or code, ends every session and mails a notice.
   * It signs nobody in: the next login goes through every factor the account has. An
   * invitation's token or code works here too: it sets the first password and, the mail having
   * reached its addressee, verifies the address.
   */
  async resetPassword(proof: Proof, newPassword: string, context: RequestContext): Promise<void> {
    const { tokens, users, sessions, events, hasher, clock, transaction } = this.deps;
    const row = await tokens.resolve(normalizeProof(proof), ['reset_password', 'invite']);
    const user = await users.findById(row.userId);
    if (!user || user.status !== 'active') throw errors.invalidOneTimeToken();
    this.checkPolicy(newPassword, user);
    const passwordHash = await hasher.hash(newPassword);
    const invited = row.purpose === 'invite';
    await transaction(async (tx) => {
      await tokens.consume(tx, row);
      const now = clock.now();
      await users.changePassword(tx, user.id, passwordHash, now);
      await sessions.revokeAllWithin(tx, user.id, 'password_reset');
      await events.emit(
        tx,
        'user.password_reset',
        { id: user.id },
        {
          context,
          audit: {
            type: 'password.reset_completed',
            subjectUserId: user.id,
            detail: { sessions_ended: true, ...(invited ? { invite: true } : {}) },
          },
        },
      );
      if (invited) {
        await this.verifyInvitedAddress(tx, user, row.email, now, context);
      } else if (user.email) {
        await events.mail(tx, user.id, user.email, { template: 'password_reset' });
      }
    });
  }

  /** The invitation reached `mailedTo`: verified, if it is still the account's address. */
  private async verifyInvitedAddress(
    tx: Tx,
    user: UserRow,
    mailedTo: string,
    now: Date,
    context: RequestContext,
  ) {
    if (user.emailVerifiedAt || !user.email) return;
    if (user.email.toLowerCase() !== mailedTo.toLowerCase()) return;
    const verified = await this.deps.users.markEmailVerified(tx, user.id, user.email, now);
    if (verified) {
      // Audited by the reset's `password.reset_completed` (detail `invite: true`).
      await this.deps.events.emit(
        tx,
        'user.email_verified',
        { id: user.id, email: user.email },
        { context, audit: null },
      );
    }
  }

  /** Changes the password of a signed-in user; every other session ends. */
  async changePassword(
    user: UserRow,
    currentSessionId: string,
    currentPassword: string,
    newPassword: string,
    context: RequestContext,
  ): Promise<void> {
    const { users, sessions, events, hasher, clock, transaction } = this.deps;
    await this.requirePassword(user, currentPassword);
    this.checkPolicy(newPassword, user);
    const passwordHash = await hasher.hash(newPassword);
    await transaction(async (tx) => {
      await users.changePassword(tx, user.id, passwordHash, clock.now());
      await sessions.revokeAllWithin(tx, user.id, 'password_changed', currentSessionId);
      await events.emit(
        tx,
        'user.password_changed',
        { id: user.id },
        {
          context,
          audit: {
            type: 'password.changed',
            subjectUserId: user.id,
            detail: { other_sessions_ended: true },
          },
        },
      );
      if (user.email) {
        await events.mail(tx, user.id, user.email, { template: 'password_changed' });
      }
    });
  }

  /**
   * Starts an email change: a code and link to the new address, a notice to the old one. The
   * address switches when the code is confirmed, if it is still free then. Whether the new
   * address already has an account is not revealed here.
   */
  async requestEmailChange(
    user: UserRow,
    rawNewEmail: string,
    password: string,
    context: RequestContext,
  ): Promise<void> {
    await this.requirePassword(user, password);
    const newEmail = normalizeEmail(rawNewEmail);
    if (user.email && user.email.toLowerCase() === newEmail.toLowerCase()) {
      throw errors.validationFailed([
        { field: 'new_email', message: 'is already the address of this account' },
      ]);
    }
    // Whoever owns the new address is not to be flooded with codes.
    const decision = await this.deps.limiter.tryTake(`change_email:${newEmail.toLowerCase()}`);
    if (!decision.allowed) {
      throw errors.rateLimited('Too many mails to this address; retry later.', {
        headers: { 'retry-after': String(decision.retryAfterSeconds) },
      });
    }
    const { tokens, events, transaction } = this.deps;
    await transaction(async (tx) => {
      const issued = await tokens.issue(tx, user.id, 'change_email', newEmail);
      await events.mail(tx, user.id, newEmail, {
        template: 'change_email',
        code: issued.code,
        link: this.verificationLink(issued.token),
        ttlMinutes: this.ttlMinutes(),
        newEmail,
      });
      if (user.email) {
        await events.mail(tx, user.id, user.email, {
          template: 'email_change_requested',
          newEmail,
        });
      }
      // The new address is personal data of a change not yet confirmed: not in the audit detail.
      await events.record(tx, context, {
        type: 'user.updated',
        subjectUserId: user.id,
        detail: { fields: ['email'], pending_confirmation: true },
      });
    });
  }

  /** Deletes the owner's account once they confirm with their password (see `erase`). */
  async deleteAccount(user: UserRow, password: string, context: RequestContext): Promise<void> {
    await this.requirePassword(user, password);
    if (!(await this.erase(user.id, context))) {
      throw errors.invalidToken('The account no longer exists.');
    }
  }

  /**
   * Deletes the account: personal data erased in place (email and username become free),
   * sessions ended, tokens and undelivered mail dropped, `user.erasing` for what other modules
   * keep (MFA factor, roles; the last-admin check can undo it all), `user.deleted` announced,
   * all in one transaction; false when there was no such account left to delete.
   */
  async erase(userId: string, context: RequestContext, by?: Eraser): Promise<boolean> {
    const { users, tokens, sessions, events, clock, transaction } = this.deps;
    return transaction(async (tx) => {
      if (!(await users.anonymise(tx, userId, clock.now()))) return false;
      // Right after the account's row is taken, as the other admin actions take the admin
      // lock (the last-admin check): one lock order.
      await events.emit(tx, 'user.erasing', { id: userId }, { context, audit: null });
      await sessions.revokeAllWithin(tx, userId, 'account_deleted');
      await tokens.deleteForUser(tx, userId);
      await events.dropMailFor(tx, userId);
      await events.emit(
        tx,
        'user.deleted',
        { id: userId },
        {
          context,
          audit: {
            type: 'user.deleted',
            subjectUserId: userId,
            ...(by ? { actorUserId: by.actorUserId } : {}),
          },
        },
      );
      return true;
    });
  }

  /**
   * Within the transaction that counted the failure which locked the account's identifier:
   * tell the platform (`user.locked`) and the owner (a mail), audited with the lockout figures.
   */
  async announceLockWithin(
    tx: Tx,
    user: UserRow,
    outcome: { lockedUntil: Date | null; failures: number },
    context: RequestContext,
  ): Promise<void> {
    const { events, clock } = this.deps;
    const { lockedUntil } = outcome;
    const minutes = lockedUntil
      ? Math.max(1, Math.ceil((lockedUntil.getTime() - clock.now().getTime()) / 60_000))
      : 0;
    await events.emit(
      tx,
      'user.locked',
      {
        id: user.id,
        reason: 'too_many_failed_attempts',
        locked_until: lockedUntil?.toISOString() ?? null,
      },
      {
        context,
        audit: {
          type: 'user.locked',
          subjectUserId: user.id,
          actorUserId: null,
          detail: {
            reason: 'too_many_failed_attempts',
            failed_attempts: outcome.failures,
            locked_until: lockedUntil?.toISOString() ?? null,
          },
        },
      },
    );
    if (user.email && minutes > 0) {
      await events.mail(tx, user.id, user.email, {
        template: 'account_locked',
        lockedMinutes: minutes,
      });
    }
  }

  private async mailVerification(tx: Tx, userId: string, email: string): Promise<void> {
    const issued = await this.deps.tokens.issue(tx, userId, 'verify_email', email);
    await this.deps.events.mail(tx, userId, email, {
      template: 'verify_email',
      code: issued.code,
      link: this.verificationLink(issued.token),
      ttlMinutes: this.ttlMinutes(),
    });
  }

  private verificationLink(token: string): string {
    return linkWithToken(`${this.deps.settings.publicUrl}/api/v1/auth/verify-email`, token);
  }

  private ttlMinutes(): number {
    return Math.round(this.deps.settings.codeTtlSeconds / 60);
  }

  private async requirePassword(user: UserRow, password: string): Promise<void> {
    const ok = user.passwordHash
      ? await this.deps.hasher.verify(user.passwordHash, password)
      : false;
    if (!ok) throw errors.invalidCredentials('The password is incorrect.');
  }

  private checkPolicy(password: string, user: UserRow): void {
    this.deps.passwordPolicy.check(password, { email: user.email, username: user.username });
  }

  /** Runs `work`, then waits out the rest of `uniformResponseMs`, whichever way it went. */
  private async uniformly(work: () => Promise<void>): Promise<void> {
    const started = performance.now();
    try {
      await work();
    } finally {
      const left = this.deps.settings.uniformResponseMs - (performance.now() - started);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
  }
}

function normalizeProof(proof: Proof): Proof {
  return 'token' in proof ? proof : { email: normalizeEmail(proof.email), code: proof.code };
}

function linkWithToken(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}
