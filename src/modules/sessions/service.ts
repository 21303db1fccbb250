import { createHash, randomBytes } from 'node:crypto';
import type { Executor, Tx } from '../../adapters/db/index.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { AuditEntry } from '../audit/types.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { RequestContext } from '../../request-context.js';
import type { SessionRepository, SessionRow } from './repository.js';

export interface SessionSettings {
  refreshTokenTtlSeconds: number;
  /** Hard cap on a session's life, refreshes or not. */
  maxLifetimeSeconds: number;
  /** A session not refreshed for this long ends (0 = no idle timeout). */
  idleTimeoutSeconds: number;
  /** Live sessions per user (0 = no limit) and what a login at the limit does. */
  maxPerUser: number;
  limitPolicy: 'evict_oldest' | 'deny';
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface StartedSession {
  session: SessionRow;
  refreshToken: string;
  /** Sessions ended to make room (SESSION_LIMIT_POLICY=evict_oldest). */
  evicted: string[];
}

export interface SessionView {
  session: SessionRow;
  current: boolean;
}

export type RotationResult =
  | { kind: 'rotated'; session: SessionRow; refreshToken: string }
  /** A spent token came back: the session was revoked as compromised. */
  | { kind: 'reuse_detected'; sessionId: string; userId: string };

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** 256 random bits, base64url: the opaque refresh token handed to clients. */
function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Refresh tokens are at most this long; anything longer is refused before hashing. */
const MAX_REFRESH_TOKEN_LENGTH = 256;

export class SessionService {
  constructor(
    private readonly deps: {
      sessions: SessionRepository;
      clock: Clock;
      settings: SessionSettings;
      events: DomainEvents;
      transaction: Transactor;
    },
  ) {}

  /** Opens a session with its first refresh token, in the caller's transaction (the login's). */
  async start(tx: Tx, userId: string, client: ClientInfo, amr: string[]): Promise<StartedSession> {
    const { sessions, clock, settings } = this.deps;
    const now = clock.now();
    const absoluteExpiresAt = addSeconds(now, settings.maxLifetimeSeconds);
    const refreshToken = newRefreshToken();
    const values = {
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: earliest(addSeconds(now, settings.refreshTokenTtlSeconds), absoluteExpiresAt),
      absoluteExpiresAt,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      amr,
    };
    if (settings.maxPerUser === 0) {
      const session = await sessions.startSession(tx, values, hashToken(refreshToken));
      return { session, refreshToken, evicted: [] };
    }
    const started = await sessions.startSessionWithinLimit(tx, values, hashToken(refreshToken), {
      max: settings.maxPerUser,
      policy: settings.limitPolicy,
      idleCutoff: this.idleCutoff(now),
    });
    if (started.kind === 'denied') {
      throw errors.sessionLimitReached(
        `This account already has ${settings.maxPerUser} active sessions; log out of one first.`,
      );
    }
    return { session: started.session, refreshToken, evicted: started.evicted };
  }

  /**
   * Spends `refreshToken` and issues its successor. Exactly one of any number of concurrent
   * calls with the same token rotates it; every other call finds it spent, which is reuse: the
   * whole session is revoked, including the successor just issued. So parallel refreshes of
   * one token never leave two live chains — they leave none, and the client logs in again.
   * Reuse is announced (`user.session_compromised`) and audited (`auth.refresh_reuse_detected`)
   * with the revocation.
   */
  async rotate(refreshToken: string, context: RequestContext): Promise<RotationResult> {
    const { sessions, clock, settings } = this.deps;
    if (refreshToken.length === 0 || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH) {
      throw errors.invalidToken('The refresh token is invalid or expired.');
    }
    const tokenHash = hashToken(refreshToken);
    const now = clock.now();
    const successor = newRefreshToken();
    const result = await sessions.rotateRefreshToken(
      tokenHash,
      hashToken(successor),
      now,
      addSeconds(now, settings.refreshTokenTtlSeconds),
      this.idleCutoff(now),
    );
    if (result.kind === 'rotated') {
      return { kind: 'rotated', session: result.session, refreshToken: successor };
    }
    if (result.kind === 'session_ended') {
      throw errors.invalidToken('The session has ended; log in again.');
    }

    const known = await sessions.findRefreshToken(tokenHash);
    if (known?.usedAt) {
      const session = await sessions.findSession(known.sessionId);
      await this.endCompromised(known.sessionId, session!.userId, now, context);
      return { kind: 'reuse_detected', sessionId: known.sessionId, userId: session!.userId };
    }
    throw errors.invalidToken('The refresh token is invalid or expired.');
  }

  /** Revokes a session whose spent refresh token came back and announces it, once. */
  private async endCompromised(
    sessionId: string,
    userId: string,
    now: Date,
    context: RequestContext,
  ): Promise<void> {
    const { sessions, events, transaction } = this.deps;
    const audit: AuditEntry = {
      type: 'auth.refresh_reuse_detected',
      outcome: 'failure',
      subjectUserId: userId,
      actorUserId: null,
      detail: { session_id: sessionId },
    };
    await transaction(async (tx) => {
      const ended = await sessions.revokeSessionIn(tx, sessionId, now, 'refresh_token_reuse');
      if (ended) {
        await events.emit(
          tx,
          'user.session_compromised',
          { id: userId, session_id: sessionId, reason: 'refresh_token_reuse' },
          { context, audit },
        );
      } else {
        // Already ended by an earlier replay: nothing to announce, the attempt is still on record.
        await events.record(tx, context, audit);
      }
    });
  }

  /** Whether an access token's session still stands (not revoked, not past its hard end). */
  async isActive(sessionId: string, userId: string): Promise<boolean> {
    const state = await this.deps.sessions.findSessionState(sessionId);
    return (
      state !== undefined &&
      state.userId === userId &&
      state.revokedAt === null &&
      state.absoluteExpiresAt > this.deps.clock.now()
    );
  }

  /** The user's sessions that can still be refreshed, newest first. */
  async list(userId: string, currentSessionId: string): Promise<SessionView[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.sessions.listLive(userId, now, this.idleCutoff(now));
    return rows.map((session) => ({ session, current: session.id === currentSessionId }));
  }

  /** Ends one of the user's own sessions with its refresh chain; false if none such is live. */
  async revokeOwn(userId: string, sessionId: string, context: RequestContext): Promise<boolean> {
    const reason = 'user_revoked';
    const { sessions, events, clock, transaction } = this.deps;
    return transaction(async (tx) => {
      const ended = await sessions.revokeOwnSessionIn(tx, userId, sessionId, clock.now(), reason);
      if (ended) await events.record(tx, context, sessionRevoked(userId, sessionId, reason));
      return ended;
    });
  }

  /** Ends every session of the user but `keepSessionId`; returns the ended ids. */
  async revokeOthers(
    userId: string,
    keepSessionId: string,
    context: RequestContext,
  ): Promise<string[]> {
    const reason = 'user_revoked_others';
    return this.deps.transaction(async (tx) => {
      const ended = await this.revokeAllWithin(tx, userId, reason, keepSessionId);
      await this.deps.events.record(
        tx,
        context,
        ...ended.map((id) => sessionRevoked(userId, id, reason)),
      );
      return ended;
    });
  }

  private idleCutoff(now: Date): Date {
    const idle = this.deps.settings.idleTimeoutSeconds;
    return idle === 0 ? new Date(0) : addSeconds(now, -idle);
  }

  /** Ends one session (and its refresh chain) within the caller's transaction. */
  revokeWithin(tx: Executor, sessionId: string, reason: string): Promise<boolean> {
    return this.deps.sessions.revokeSessionIn(tx, sessionId, this.deps.clock.now(), reason);
  }

  /** Ends every session of the user but `keep` (if given) within the caller's transaction. */
  revokeAllWithin(tx: Executor, userId: string, reason: string, keep?: string): Promise<string[]> {
    return this.deps.sessions.revokeUserSessionsIn(tx, userId, this.deps.clock.now(), reason, keep);
  }
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

function earliest(a: Date, b: Date): Date {
  return a < b ? a : b;
}

/** The audit entry of a session ended by its owner or a rule (SESSION_LIMIT_POLICY…). */
export function sessionRevoked(userId: string, sessionId: string, reason: string): AuditEntry {
  return {
    type: 'session.revoked',
    subjectUserId: userId,
    detail: { session_id: sessionId, reason },
  };
}
