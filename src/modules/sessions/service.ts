import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from '../../adapters/db/index.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { Outbox } from '../events/outbox.js';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { RequestContext } from '../../request-context.js';
import type { AuditService } from '../audit/service.js';
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
      audit: Pick<AuditService, 'record'>;
      outbox: Outbox;
      transaction: Transactor;
    },
  ) {}

  /** Opens a session with its first refresh token. */
  async start(userId: string, client: ClientInfo, amr: string[]): Promise<StartedSession> {
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
      // The hot path: one statement.
      const session = await sessions.startSession(values, hashToken(refreshToken));
      return { session, refreshToken, evicted: [] };
    }
    const started = await sessions.startSessionWithinLimit(values, hashToken(refreshToken), {
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
   */
  async rotate(refreshToken: string): Promise<RotationResult> {
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
      await this.endCompromised(known.sessionId, session!.userId, now);
      return { kind: 'reuse_detected', sessionId: known.sessionId, userId: session!.userId };
    }
    throw errors.invalidToken('The refresh token is invalid or expired.');
  }

  /** Revokes a session whose spent refresh token came back and announces it, once. */
  private async endCompromised(sessionId: string, userId: string, now: Date): Promise<void> {
    const { sessions, outbox, transaction } = this.deps;
    await transaction(async (tx) => {
      const ended = await sessions.revokeSessionIn(tx, sessionId, now, 'refresh_token_reuse');
      if (ended) {
        await outbox.event(tx, 'user.session_compromised', userId, {
          id: userId,
          session_id: sessionId,
          reason: 'refresh_token_reuse',
        });
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
    const now = this.deps.clock.now();
    const ended = await this.deps.sessions.revokeOwnSession(userId, sessionId, now, reason);
    if (ended) await this.deps.audit.record(context, revokedEntry(userId, sessionId, reason));
    return ended;
  }

  /** Ends every session of the user but `keepSessionId`; returns the ended ids. */
  async revokeOthers(
    userId: string,
    keepSessionId: string,
    context: RequestContext,
  ): Promise<string[]> {
    const reason = 'user_revoked_others';
    const now = this.deps.clock.now();
    const ended = await this.deps.sessions.revokeUserSessions(userId, now, reason, keepSessionId);
    await this.deps.audit.record(context, ...ended.map((id) => revokedEntry(userId, id, reason)));
    return ended;
  }

  private idleCutoff(now: Date): Date {
    const idle = this.deps.settings.idleTimeoutSeconds;
    return idle === 0 ? new Date(0) : addSeconds(now, -idle);
  }

  revoke(sessionId: string, reason: string): Promise<boolean> {
    return this.deps.sessions.revokeSession(sessionId, this.deps.clock.now(), reason);
  }

  revokeAll(userId: string, reason: string): Promise<string[]> {
    return this.deps.sessions.revokeUserSessions(userId, this.deps.clock.now(), reason);
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

function revokedEntry(userId: string, sessionId: string, reason: string) {
  return {
    type: 'session.revoked' as const,
    subjectUserId: userId,
    detail: { session_id: sessionId, reason },
  };
}
