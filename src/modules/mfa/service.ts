import { createHash, randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import type { Database } from '../../adapters/db/index.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { SealedBox } from '../../adapters/keys/index.js';
import type { Metrics } from '../../adapters/telemetry/metrics.js';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { RequestContext } from '../../request-context.js';
import type { AccountService, UserRow } from '../account/service.js';
import type { AuditEntry } from '../audit/types.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { AuthService, SecondFactorGate, TokenPair } from '../auth/service.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { SessionService } from '../sessions/service.js';
import type { ChallengeTokens } from '../verification/service.js';
import { hashBackupCode, newBackupCodes, normalizeBackupCode } from './backup-codes.js';
import type { MfaRepository } from './repository.js';
import { matchTotp, newTotpSecret, otpauthUrl } from './totp.js';

/** A login challenge lives 5 minutes and survives 5 wrong codes. */
export const CHALLENGE_TTL_SECONDS = 300;
export const CHALLENGE_MAX_WRONG_CODES = 5;

export interface MfaSettings {
  issuer: string;
  backupCodesCount: number;
}

export interface MfaSetup {
  secret: string;
  otpauthUrl: string;
  qrCode: string;
}

type Method = 'totp' | 'backup_code';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * Login challenges, stored as `mfa_challenge` one-time tokens: the token's hash only, the
 * login identifier (the lockout's key) in the `email` column, wrong codes in `attempts`.
 */
export class MfaChallenges implements SecondFactorGate {
  constructor(
    private readonly deps: {
      mfa: MfaRepository;
      tokens: ChallengeTokens;
      clock: Clock;
      db: Database['db'];
    },
  ) {}

  requiredFor(userId: string): Promise<boolean> {
    return this.deps.mfa.isEnabled(userId);
  }

  async challenge(userId: string, identifier: string): Promise<string> {
    const now = this.deps.clock.now();
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    await this.deps.tokens.replace(
      this.deps.db,
      {
        id,
        userId,
        purpose: 'mfa_challenge',
        email: identifier,
        tokenHash: sha256(token),
        // No short code for a challenge: an unguessable value keeps the column's contract.
        codeHash: sha256(randomBytes(32).toString('base64url')),
        createdAt: now,
        expiresAt: new Date(now.getTime() + CHALLENGE_TTL_SECONDS * 1000),
      },
      now,
    );
    return token;
  }
}

/** Enrolment, backup codes, disabling and the second step of a login. */
export class MfaService {
  constructor(
    private readonly deps: {
      mfa: MfaRepository;
      tokens: ChallengeTokens;
      accounts: AccountService;
      auth: AuthService;
      sessions: SessionService;
      hasher: PasswordHasher;
      events: DomainEvents;
      transaction: Transactor;
      clock: Clock;
      metrics: Pick<Metrics, 'mfaEvents'>;
      /** Seals TOTP secrets; without it MFA setup answers 503 (see README). */
      box: SealedBox | undefined;
      settings: MfaSettings;
    },
  ) {}

  async setup(user: UserRow): Promise<MfaSetup> {
    const box = this.requireBox();
    const secret = newTotpSecret();
    const saved = await this.deps.mfa.savePending(
      user.id,
      box.seal(secret, sealContext(user.id)),
      this.deps.clock.now(),
    );
    if (!saved) throw errors.conflict('Two-step verification is already enabled.');
    const url = otpauthUrl(
      secret,
      user.email ?? user.username ?? user.id,
      this.deps.settings.issuer,
    );
    this.deps.metrics.mfaEvents.inc({ event: 'setup' });
    return { secret, otpauthUrl: url, qrCode: await QRCode.toDataURL(url) };
  }

  /** Checks the first code of a pending factor, enables it and returns the backup codes. */
  async enable(
    user: UserRow,
    code: string,
    currentSessionId: string,
    endOtherSessions: boolean,
    context: RequestContext,
  ): Promise<string[]> {
    const factor = await this.deps.mfa.findFactor(user.id);
    if (!factor) throw errors.conflict('Start with POST /mfa/setup.');
    if (factor.enabledAt) throw errors.conflict('Two-step verification is already enabled.');
    if (!(await this.checkTotp(user.id, factor.secret, code))) throw wrongCode();
    const codes = newBackupCodes(this.deps.settings.backupCodesCount);
    const { mfa, events, sessions, clock, transaction } = this.deps;
    await transaction(async (tx) => {
      const now = clock.now();
      if (!(await mfa.enable(tx, user.id, now))) {
        throw errors.conflict('Two-step verification is already enabled.');
      }
      await mfa.replaceBackupCodes(tx, user.id, this.hashes(user.id, codes), now);
      const ended = endOtherSessions
        ? await sessions.revokeAllWithin(tx, user.id, 'mfa_enabled', currentSessionId)
        : [];
      const audit = {
        type: 'mfa.enabled',
        subjectUserId: user.id,
        detail: { other_sessions_ended: ended },
      } as const;
      await events.emit(tx, 'user.mfa_enabled', { id: user.id }, { context, audit });
      if (user.email) await events.mail(tx, user.id, user.email, { template: 'mfa_enabled' });
    });
    this.deps.metrics.mfaEvents.inc({ event: 'enabled' });
    return codes;
  }

  async disable(
    user: UserRow,
    password: string,
    code: string,
    currentSessionId: string,
    endOtherSessions: boolean,
    context: RequestContext,
  ): Promise<void> {
    const factor = await this.enabledFactor(user.id);
    const passwordOk = user.passwordHash
      ? await this.deps.hasher.verify(user.passwordHash, password)
      : false;
    if (!passwordOk) throw errors.invalidCredentials('The password is incorrect.');
    if (!(await this.checkCode(user.id, factor.secret, code))) {
      throw errors.invalidCredentials('The code is incorrect.');
    }
    await this.removeFactor(
      user,
      endOtherSessions ? { keepSessionId: currentSessionId } : null,
      context,
      (ended) => ({
        type: 'mfa.disabled',
        subjectUserId: user.id,
        detail: { other_sessions_ended: ended },
      }),
    );
    this.deps.metrics.mfaEvents.inc({ event: 'disabled' });
  }

  /**
   * An administrator removes the factor of someone who lost it (no code asked): the owner is
   * told by mail and signs in with the password alone from now on. 409 when MFA is off.
   */
  async reset(actorUserId: string, user: UserRow, context: RequestContext): Promise<void> {
    await this.removeFactor(user, null, context, () => ({
      type: 'mfa.reset',
      actorUserId,
      subjectUserId: user.id,
    }));
    this.deps.metrics.mfaEvents.inc({ event: 'reset' });
  }

  /** Account erasure, within its transaction: nothing of the factor survives. */
  subscribe(events: Pick<DomainEvents, 'subscribe'>): void {
    events.subscribe('user.erasing', async (tx, erased) => {
      for (const { id } of erased) await this.deps.mfa.deleteAllFor(tx, id);
    });
  }

  /**
   * Turns the enabled factor off with `user.mfa_disabled`, its audit entry and a notice to the
   * owner, ending the other sessions when asked.
   */
  private async removeFactor(
    user: UserRow,
    endSessions: { keepSessionId: string } | null,
    context: RequestContext,
    audit: (endedSessions: string[]) => AuditEntry,
  ): Promise<void> {
    const { mfa, events, sessions, transaction } = this.deps;
    await transaction(async (tx) => {
      if (!(await mfa.disable(tx, user.id))) throw errors.conflict('Two-step verification is off.');
      const ended = endSessions
        ? await sessions.revokeAllWithin(tx, user.id, 'mfa_disabled', endSessions.keepSessionId)
        : [];
      await events.emit(tx, 'user.mfa_disabled', { id: user.id }, { context, audit: audit(ended) });
      if (user.email) await events.mail(tx, user.id, user.email, { template: 'mfa_disabled' });
    });
  }

  isEnabled(userId: string): Promise<boolean> {
    return this.deps.mfa.isEnabled(userId);
  }

  async remainingBackupCodes(userId: string): Promise<number> {
    await this.enabledFactor(userId);
    return this.deps.mfa.remainingBackupCodes(userId);
  }

  /** A new set of backup codes for a current TOTP code; the old set stops working. */
  async regenerateBackupCodes(userId: string, code: string): Promise<string[]> {
    const factor = await this.enabledFactor(userId);
    if (!(await this.checkTotp(userId, factor.secret, code))) throw wrongCode();
    const codes = newBackupCodes(this.deps.settings.backupCodesCount);
    await this.deps.transaction((tx) =>
      this.deps.mfa.replaceBackupCodes(
        tx,
        userId,
        this.hashes(userId, codes),
        this.deps.clock.now(),
      ),
    );
    this.deps.metrics.mfaEvents.inc({ event: 'backup_codes_regenerated' });
    return codes;
  }

  /**
   * The second step of a login. The challenge is single-use, expires, and dies with its fifth
   * wrong code; every wrong code also counts toward the identifier's lockout.
   */
  async completeLogin(
    challengeToken: string,
    code: string,
    context: RequestContext,
  ): Promise<{ user: UserRow; tokens: TokenPair }> {
    const { tokens, clock } = this.deps;
    const now = clock.now();
    const row = await tokens.findByTokenHash(sha256(challengeToken));
    if (
      !row ||
      row.purpose !== 'mfa_challenge' ||
      row.consumedAt !== null ||
      row.expiresAt <= now ||
      row.attempts >= CHALLENGE_MAX_WRONG_CODES
    ) {
      throw errors.invalidToken('The challenge is invalid, used or expired; log in again.');
    }
    const identifier = row.email;
    await this.deps.auth.assertNotLocked(identifier, row.userId, context);
    const factor = await this.deps.mfa.findFactor(row.userId);
    const method = factor?.enabledAt ? await this.matchCode(row.userId, factor.secret, code) : null;
    if (!method) {
      await tokens.countWrongCode([row.id]);
      this.deps.metrics.mfaEvents.inc({ event: 'failed' });
      await this.deps.auth.recordSecondFactorFailure(identifier, row.userId, context);
      throw errors.invalidCredentials('The code is incorrect.');
    }
    const spent = await this.deps.transaction((tx) => tokens.consume(tx, row.id, clock.now()));
    if (!spent)
      throw errors.invalidToken('The challenge is invalid, used or expired; log in again.');
    this.deps.metrics.mfaEvents.inc({ event: method === 'totp' ? 'verified' : 'backup_code_used' });
    return this.deps.auth.completeSecondFactorLogin(
      identifier,
      row.userId,
      ['pwd', method === 'totp' ? 'otp' : 'mfa'],
      context,
    );
  }

  private async enabledFactor(userId: string) {
    const factor = await this.deps.mfa.findFactor(userId);
    if (!factor?.enabledAt) throw errors.conflict('Two-step verification is not enabled.');
    return factor;
  }

  private async checkCode(userId: string, sealed: string, code: string): Promise<boolean> {
    return (await this.matchCode(userId, sealed, code)) !== null;
  }

  /** Which method `code` proves: a fresh TOTP code, or an unused backup code (spent now). */
  private async matchCode(userId: string, sealed: string, code: string): Promise<Method | null> {
    if (await this.checkTotp(userId, sealed, code)) return 'totp';
    const normalized = normalizeBackupCode(code);
    if (
      normalized &&
      (await this.deps.mfa.useBackupCode(
        userId,
        hashBackupCode(userId, normalized),
        this.deps.clock.now(),
      ))
    ) {
      return 'backup_code';
    }
    return null;
  }

  /** A TOTP code of ±1 step, accepted at most once: its step is claimed atomically. */
  private async checkTotp(userId: string, sealed: string, code: string): Promise<boolean> {
    const box = this.requireBox();
    const step = matchTotp(box.open(sealed, sealContext(userId)), code, this.deps.clock.now());
    return step !== null && (await this.deps.mfa.claimStep(userId, step));
  }

  private hashes(userId: string, codes: string[]): string[] {
    return codes.map((c) => hashBackupCode(userId, normalizeBackupCode(c)!));
  }

  private requireBox(): SealedBox {
    if (!this.deps.box) {
      throw errors.unavailable(
        'Two-step verification needs KEY_ENCRYPTION_KEY to store secrets encrypted; ask the operator to set it.',
      );
    }
    return this.deps.box;
  }
}

function sealContext(userId: string): string {
  return `mfa:${userId}`;
}

function wrongCode() {
  return errors.validationFailed([{ field: 'code', message: 'is incorrect or was already used' }]);
}
