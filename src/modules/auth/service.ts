import type { AccessTokenClaims, TokenSigner } from '../../adapters/keys/index.js';
import type { LoginOutcome, Metrics } from '../../adapters/telemetry/metrics.js';
import { AppError, errors } from '../../errors.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { AccountLifecycle } from '../account/lifecycle.js';
import type { AccountService, UserRow } from '../account/service.js';
import type { RequestContext } from '../../request-context.js';
import type { AuditEntry } from '../audit/types.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { LockoutService } from '../lockout/service.js';
import { sessionRevoked, type SessionService } from '../sessions/service.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { PasswordPolicy } from '../passwords/policy.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface Registration {
  email?: string | null;
  username?: string | null;
  password: string;
  fullName?: string | null;
}

/** A login that needs a second factor: finished with the challenge token (MFA module). */
export interface SecondFactorGate {
  requiredFor(userId: string): Promise<boolean>;
  /** Stores a challenge for this login and returns its token (shown once). */
  challenge(userId: string, identifier: string): Promise<string>;
}

export type LoginResult =
  | { kind: 'tokens'; user: UserRow; tokens: TokenPair }
  | { kind: 'mfa_required'; challengeToken: string };

/** Registration, password login, refresh and logout: the flows that mint and end sessions. */
export class AuthService {
  constructor(
    private readonly deps: {
      accounts: AccountService;
      lifecycle: AccountLifecycle;
      sessions: SessionService;
      signer: TokenSigner;
      hasher: PasswordHasher;
      metrics: Pick<
        Metrics,
        'registrations' | 'logins' | 'refreshes' | 'refreshReuseDetections' | 'lockouts'
      >;
      passwordPolicy: PasswordPolicy;
      lockout: LockoutService;
      events: DomainEvents;
      transaction: Transactor;
      /** Login of an account with an unverified email answers 403 email_not_verified. */
      requireEmailVerification: boolean;
      /** With MFA enabled, a correct password yields a challenge instead of tokens. */
      secondFactor?: SecondFactorGate;
      /** The `roles` claim: the account's role names (RBAC module). */
      roles: { rolesOf(userId: string): Promise<string[]> };
    },
  ) {}

  async register(input: Registration, context: RequestContext): Promise<UserRow> {
    const { accounts, hasher } = this.deps;
    const { email, username } = accounts.normalizeNewIdentifiers(input);
    if (this.deps.requireEmailVerification && !email) {
      // Such an account could never verify, and so never log in.
      throw errors.validationFailed([
        { field: 'email', message: 'is required (email verification is required)' },
      ]);
    }
    this.deps.passwordPolicy.check(input.password, { email, username });
    const passwordHash = await hasher.hash(input.password);
    const user = await accounts.create(
      { email, username, fullName: input.fullName?.trim() || null, passwordHash },
      { context },
      (tx, created) => this.deps.lifecycle.startVerification(tx, created),
    );
    this.deps.metrics.registrations.inc();
    return user;
  }

  /**
   * Unknown identifier, deleted account and wrong password all cost one argon2 verification
   * and end in the same `invalid_credentials`: neither the body nor the time tells them apart.
   * Lockout is per identifier, known or not: a locked identifier answers 423 before any
   * password check, even for the right password.
   */
  async login(identifier: string, password: string, context: RequestContext): Promise<LoginResult> {
    try {
      const result = await this.attemptLogin(identifier, password, context);
      this.deps.metrics.logins.inc({
        outcome: result.kind === 'tokens' ? 'success' : 'mfa_required',
      });
      return result;
    } catch (error) {
      this.deps.metrics.logins.inc({ outcome: loginOutcome(error) });
      throw error;
    }
  }

  private async attemptLogin(
    identifier: string,
    password: string,
    context: RequestContext,
  ): Promise<LoginResult> {
    const { accounts, hasher, lockout, events } = this.deps;
    const lock = await lockout.state(identifier);
    const user = await accounts.findByIdentifier(identifier);
    if (lock.retryAfterSeconds !== null) {
      // A refused attempt changes nothing: its audit row is all there is to write.
      await events.recordNow(context, loginFailed(user, 'locked'));
      throw lockedError(lock.retryAfterSeconds);
    }
    if (!user?.passwordHash) {
      await hasher.burn(password);
      await this.recordFailure(identifier, user, 'unknown_identifier', context);
      throw errors.invalidCredentials();
    }
    if (!(await hasher.verify(user.passwordHash, password))) {
      await this.recordFailure(identifier, user, 'invalid_password', context);
      throw errors.invalidCredentials();
    }
    if (lock.hasFailures) await lockout.clear(identifier);
    // Status is revealed only to someone who knows the password.
    if (user.status !== 'active') {
      await events.recordNow(context, loginFailed(user, `account_${user.status}`));
      throw user.status === 'locked' ? errors.accountLocked() : errors.accountDisabled();
    }
    if (this.deps.requireEmailVerification && user.emailVerifiedAt === null) {
      await events.recordNow(context, loginFailed(user, 'email_not_verified'));
      throw errors.emailNotVerified();
    }
    if (hasher.needsRehash(user.passwordHash)) await this.rehash(user.id, password);
    const { secondFactor } = this.deps;
    if (secondFactor && (await secondFactor.requiredFor(user.id))) {
      // No session and no tokens until the second factor is shown.
      return {
        kind: 'mfa_required',
        challengeToken: await secondFactor.challenge(user.id, identifier),
      };
    }
    return { kind: 'tokens', ...(await this.startSession(user, ['pwd'], context)) };
  }

  private async startSession(
    user: UserRow,
    amr: string[],
    context: RequestContext,
  ): Promise<{ user: UserRow; tokens: TokenPair }> {
    const { session, refreshToken } = await this.deps.transaction(async (tx) => {
      const started = await this.deps.sessions.start(tx, user.id, context, amr);
      await this.deps.events.record(
        tx,
        context,
        {
          type: 'auth.login_success',
          subjectUserId: user.id,
          detail: { session_id: started.session.id, amr },
        },
        ...started.evicted.map((id) => sessionRevoked(user.id, id, 'session_limit')),
      );
      return started;
    });
    return { user, tokens: await this.issue(user, session.id, amr, refreshToken) };
  }

  /** 423 when `identifier` is locked (a second-factor step answers it like a password login). */
  async assertNotLocked(identifier: string, userId: string, context: RequestContext) {
    const lock = await this.deps.lockout.state(identifier);
    if (lock.retryAfterSeconds !== null) {
      await this.deps.events.recordNow(context, {
        type: 'auth.login_failed',
        outcome: 'failure',
        subjectUserId: userId,
        actorUserId: null,
        detail: { reason: 'locked' },
      });
      this.deps.metrics.logins.inc({ outcome: 'locked' });
      throw lockedError(lock.retryAfterSeconds);
    }
  }

  /**
   * The second factor of a login with `identifier` was shown: the session starts, with `amr`
   * naming both factors. The account must still be active (it may have changed meanwhile).
   */
  async completeSecondFactorLogin(
    identifier: string,
    userId: string,
    amr: string[],
    context: RequestContext,
  ): Promise<{ user: UserRow; tokens: TokenPair }> {
    const user = await this.deps.accounts.getById(userId);
    if (!user || user.status !== 'active') {
      this.deps.metrics.logins.inc({ outcome: 'disabled' });
      throw errors.invalidToken('The account is no longer active.');
    }
    const lock = await this.deps.lockout.state(identifier);
    if (lock.hasFailures) await this.deps.lockout.clear(identifier);
    const result = await this.startSession(user, amr, context);
    this.deps.metrics.logins.inc({ outcome: 'success' });
    return result;
  }

  /**
   * A wrong second-factor code for a login with `identifier`: counts toward the same lockout
   * as wrong passwords and is audited as `mfa.failed`. For the MFA module.
   */
  async recordSecondFactorFailure(
    identifier: string,
    userId: string,
    context: RequestContext,
  ): Promise<void> {
    const user = await this.deps.accounts.getById(userId);
    await this.countFailure(identifier, user, context, {
      type: 'mfa.failed',
      outcome: 'failure',
      subjectUserId: userId,
      actorUserId: null,
    });
  }

  private recordFailure(
    identifier: string,
    user: UserRow | undefined,
    reason: string,
    context: RequestContext,
  ): Promise<void> {
    return this.countFailure(identifier, user, context, loginFailed(user, reason));
  }

  /**
   * Counts a failure toward the identifier's lockout with its audit entry, in one transaction;
   * the failure that locks a real account also tells the platform and mails the owner.
   */
  private async countFailure(
    identifier: string,
    user: UserRow | undefined,
    context: RequestContext,
    entry: AuditEntry,
  ): Promise<void> {
    const { lockout, events, lifecycle, transaction } = this.deps;
    const outcome = await transaction(async (tx) => {
      const counted = await lockout.recordFailure(tx, identifier);
      await events.record(tx, context, entry);
      if (counted.lockedNow && user) {
        await lifecycle.announceLockWithin(tx, user, counted, context);
      }
      return counted;
    });
    if (outcome.lockedNow) this.deps.metrics.lockouts.inc();
  }

  async refresh(
    refreshToken: string,
    context: RequestContext,
  ): Promise<{ user: UserRow; tokens: TokenPair }> {
    const result = await this.deps.sessions.rotate(refreshToken, context);
    if (result.kind === 'reuse_detected') {
      this.deps.metrics.refreshReuseDetections.inc();
      throw errors.invalidToken(
        'This refresh token was already used; the session has been ended for safety.',
      );
    }
    const user = await this.deps.accounts.getById(result.session.userId);
    if (!user || user.status !== 'active') {
      await this.deps.transaction((tx) =>
        this.deps.sessions.revokeWithin(tx, result.session.id, 'account_inactive'),
      );
      throw errors.invalidToken('The account is no longer active.');
    }
    const tokens = await this.issue(
      user,
      result.session.id,
      result.session.amr,
      result.refreshToken,
    );
    this.deps.metrics.refreshes.inc();
    return { user, tokens };
  }

  async logout(userId: string, sessionId: string, context: RequestContext): Promise<void> {
    await this.deps.transaction(async (tx) => {
      await this.deps.sessions.revokeWithin(tx, sessionId, 'logout');
      await this.deps.events.record(tx, context, {
        type: 'auth.logout',
        subjectUserId: userId,
        detail: { session_id: sessionId },
      });
    });
  }

  async logoutEverywhere(userId: string, context: RequestContext): Promise<void> {
    await this.deps.transaction(async (tx) => {
      const ended = await this.deps.sessions.revokeAllWithin(tx, userId, 'logout_all');
      await this.deps.events.record(tx, context, {
        type: 'auth.logout_all',
        subjectUserId: userId,
        detail: { session_ids: ended },
      });
    });
  }

  rolesOf(userId: string): Promise<string[]> {
    return this.deps.roles.rolesOf(userId);
  }

  private async issue(
    user: UserRow,
    sessionId: string,
    amr: string[],
    refreshToken: string,
  ): Promise<TokenPair> {
    const claims: AccessTokenClaims = {
      sub: user.id,
      sid: sessionId,
      email: user.email,
      email_verified: user.emailVerifiedAt !== null,
      preferred_username: user.username,
      roles: await this.rolesOf(user.id),
      amr,
    };
    const { token, expiresIn } = await this.deps.signer.sign(claims);
    return {
      access_token: token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: expiresIn,
    };
  }

  private async rehash(userId: string, password: string): Promise<void> {
    await this.deps.accounts.setPasswordHash(userId, await this.deps.hasher.hash(password));
  }
}

function lockedError(retryAfterSeconds: number) {
  return errors.accountLocked('Too many failed attempts; try again later.', {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

function loginFailed(user: UserRow | undefined, reason: string): AuditEntry {
  // Subject only when the identifier names an account; never what was typed.
  return {
    type: 'auth.login_failed',
    outcome: 'failure',
    subjectUserId: user?.id ?? null,
    actorUserId: null,
    detail: { reason },
  };
}

/** The bounded label a failed login is counted under. */
function loginOutcome(error: unknown): LoginOutcome {
  if (!(error instanceof AppError)) return 'error';
  switch (error.code) {
    case 'invalid_credentials':
      return 'bad_credentials';
    case 'account_locked':
      return 'locked';
    case 'account_disabled':
      return 'disabled';
    case 'email_not_verified':
      return 'email_not_verified';
    case 'mfa_required':
      return 'mfa_required';
    case 'rate_limited':
      return 'rate_limited';
    default:
      return 'error';
  }
}
