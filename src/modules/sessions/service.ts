import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from '../../adapters/db/index.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { Outbox } from '../events/outbox.js';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { SessionRepository, SessionRow } from './repository.js';

export interface SessionSettings {
  refreshTokenTtlSeconds: number;
  /** Hard cap on a session's life, refreshes or not. */
  maxLifetimeSeconds: number;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface StartedSession {
  session: SessionRow;
  refreshToken: string;
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
    const session = await sessions.startSession(
      {
        userId,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: earliest(addSeconds(now, settings.refreshTokenTtlSeconds), absoluteExpiresAt),
        absoluteExpiresAt,
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        amr,
      },
      hashToken(refreshToken),
    );
    return { session, refreshToken };
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
