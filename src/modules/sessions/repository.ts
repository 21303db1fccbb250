import { and, asc, desc, eq, gt, inArray, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { Database, Db, Executor } from '../../adapters/db/index.js';
import { refreshTokens, sessions } from './schema.js';

export type SessionRow = typeof sessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
export type NewSession = Omit<typeof sessions.$inferInsert, 'id'>;

/** Session columns as SessionRow's property names, for the raw hot-path statements. */
const SESSION_COLUMNS: [column: string, property: keyof SessionRow][] = [
  ['id', 'id'],
  ['user_id', 'userId'],
  ['created_at', 'createdAt'],
  ['last_seen_at', 'lastSeenAt'],
  ['expires_at', 'expiresAt'],
  ['absolute_expires_at', 'absoluteExpiresAt'],
  ['ip', 'ip'],
  ['user_agent', 'userAgent'],
  ['amr', 'amr'],
  ['revoked_at', 'revokedAt'],
  ['revoke_reason', 'revokeReason'],
];
const sessionColumns = (table: string) =>
  SESSION_COLUMNS.map(([column, property]) => `${table}.${column} AS "${property}"`).join(', ');

/**
 * One atomic statement: spend the presented token, slide the session's expiry, insert the
 * successor. The conditional UPDATE of `spent` takes the token's row lock and re-checks
 * `used_at` once a concurrent rotation commits, so exactly one caller spends a token.
 * `spent` = 0 means the token was not spendable; a spent token with no session row means the
 * session had ended (revoked or expired) and no successor was made.
 * A session idle since before $5 (no login or refresh) has ended too.
 * $1 now, $2 presented hash, $3 successor hash, $4 new sliding expiry (before the absolute cap),
 * $5 idle cutoff (now − SESSION_IDLE_TIMEOUT; the epoch when there is none).
 */
const ROTATE_REFRESH_TOKEN = `
WITH spent AS (
  UPDATE refresh_tokens SET used_at = $1
  WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
  RETURNING id, session_id
), live AS (
  UPDATE sessions s
  SET last_seen_at = $1, expires_at = LEAST($4::timestamptz, s.absolute_expires_at)
  FROM spent
  WHERE s.id = spent.session_id AND s.revoked_at IS NULL
    AND s.expires_at > $1 AND s.absolute_expires_at > $1 AND s.last_seen_at > $5
  RETURNING s.*, spent.id AS spent_id
), successor AS (
  INSERT INTO refresh_tokens (token_hash, session_id, parent_id, created_at, expires_at)
  SELECT $3, live.id, live.spent_id, $1, live.expires_at FROM live
)
SELECT (SELECT count(*) FROM spent)::int AS spent, ${sessionColumns('live')}
FROM (SELECT 1) AS one LEFT JOIN live ON true`;

type RotationRow = { spent: number } & { [K in keyof SessionRow]: SessionRow[K] | null };

/** The only code touching `sessions` and `refresh_tokens`. */
export class SessionRepository {
  private readonly db: Db;
  private readonly sessionState;

  constructor(private readonly database: Database) {
    this.db = database.db;
    // Runs on every authenticated request: prepared once, not rebuilt per call.
    this.sessionState = this.db
      .select({
        userId: sessions.userId,
        revokedAt: sessions.revokedAt,
        absoluteExpiresAt: sessions.absoluteExpiresAt,
      })
      .from(sessions)
      .where(eq(sessions.id, sql.placeholder('id')))
      .limit(1)
      .prepare('session_state');
  }

  /**
   * The session and its first refresh token, in the caller's transaction (with the login's
   * audit row): created together or not at all.
   */
  async startSession(
    tx: Executor,
    values: NewSession,
    refreshTokenHash: string,
  ): Promise<SessionRow> {
    const [session] = await tx.insert(sessions).values(values).returning();
    await tx.insert(refreshTokens).values({
      tokenHash: refreshTokenHash,
      sessionId: session!.id,
      createdAt: values.createdAt!,
      expiresAt: session!.expiresAt,
    });
    return session!;
  }

  /**
   * Spends `tokenHash` and stores `successorHash` in its place. Returns `not_spendable` when the
   * token is unknown, spent, revoked or expired; `session_ended` when it was spent but its
   * session can no longer be extended; else the refreshed session.
   */
  async rotateRefreshToken(
    tokenHash: string,
    successorHash: string,
    now: Date,
    slidingExpiresAt: Date,
    idleCutoff: Date,
  ): Promise<
    { kind: 'not_spendable' } | { kind: 'session_ended' } | { kind: 'rotated'; session: SessionRow }
  > {
    const [row] = await this.database.query<RotationRow>(
      'rotate_refresh_token',
      ROTATE_REFRESH_TOKEN,
      [now, tokenHash, successorHash, slidingExpiresAt, idleCutoff],
    );
    if (!row || row.spent === 0) return { kind: 'not_spendable' };
    if (row.id === null) return { kind: 'session_ended' };
    const { spent: _spent, ...session } = row;
    return { kind: 'rotated', session: session as SessionRow };
  }

  async findSession(id: string): Promise<SessionRow | undefined> {
    const [row] = await this.db.select().from(sessions).where(eq(sessions.id, id)).limit(1);
    return row;
  }

  /** Only the columns the bearer check needs: this runs on every authenticated request. */
  async findSessionState(id: string) {
    const [row] = await this.sessionState.execute({ id });
    return row;
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const [row] = await this.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1);
    return row;
  }

  /**
   * Revokes the live sessions matching `which`, and every refresh token of them, within `tx`.
   * Returns the ids of the sessions it ended.
   */
  private async revokeWhere(
    tx: Executor,
    which: SQL | undefined,
    now: Date,
    reason: string,
  ): Promise<string[]> {
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: now, revokeReason: reason })
      .where(and(which, isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    const ids = revoked.map((r) => r.id);
    if (ids.length > 0) {
      await tx
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(and(inArray(refreshTokens.sessionId, ids), isNull(refreshTokens.revokedAt)));
    }
    return ids;
  }

  /** Revokes one session and every refresh token of it, in `tx`; whether it was still live. */
  async revokeSessionIn(tx: Executor, id: string, now: Date, reason: string): Promise<boolean> {
    return (await this.revokeWhere(tx, eq(sessions.id, id), now, reason)).length > 0;
  }

  /** Revokes one session only if it belongs to `userId`; returns whether a live one ended. */
  async revokeOwnSessionIn(
    tx: Executor,
    userId: string,
    id: string,
    now: Date,
    reason: string,
  ): Promise<boolean> {
    const ended = await this.revokeWhere(
      tx,
      and(eq(sessions.id, id), eq(sessions.userId, userId)),
      now,
      reason,
    );
    return ended.length > 0;
  }

  /**
   * Revokes every live session of a user (but `exceptId`) in the caller's transaction: a
   * password change and the sign-outs it implies commit together. Returns their ids.
   */
  revokeUserSessionsIn(
    tx: Executor,
    userId: string,
    now: Date,
    reason: string,
    exceptId?: string,
  ): Promise<string[]> {
    return this.revokeWhere(
      tx,
      and(eq(sessions.userId, userId), exceptId ? ne(sessions.id, exceptId) : undefined),
      now,
      reason,
    );
  }

  /** Sessions that can still be refreshed, newest first. */
  listLive(userId: string, now: Date, idleCutoff: Date): Promise<SessionRow[]> {
    return this.db
      .select()
      .from(sessions)
      .where(liveSession(userId, now, idleCutoff))
      .orderBy(desc(sessions.createdAt), desc(sessions.id));
  }

  /**
   * Starts a session within a per-user cap, atomically (in the caller's transaction): a
   * transaction-scoped advisory lock on the user serializes concurrent logins, so the cap holds under races. At the cap, `deny`
   * starts nothing; `evict_oldest` revokes the oldest live sessions (and their tokens) first.
   */
  async startSessionWithinLimit(
    tx: Executor,
    values: NewSession,
    refreshTokenHash: string,
    limit: { max: number; policy: 'evict_oldest' | 'deny'; idleCutoff: Date },
  ): Promise<{ kind: 'denied' } | { kind: 'started'; session: SessionRow; evicted: string[] }> {
    const now = values.createdAt!;
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${values.userId}))`);
    const live = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(liveSession(values.userId, now, limit.idleCutoff))
      .orderBy(asc(sessions.createdAt), asc(sessions.id));
    let evicted: string[] = [];
    if (live.length >= limit.max) {
      if (limit.policy === 'deny') return { kind: 'denied' as const };
      const oldest = live.slice(0, live.length - limit.max + 1).map((s) => s.id);
      evicted = await this.revokeWhere(tx, inArray(sessions.id, oldest), now, 'session_limit');
    }
    const session = await this.startSession(tx, values, refreshTokenHash);
    return { kind: 'started' as const, session, evicted };
  }
}

function liveSession(userId: string, now: Date, idleCutoff: Date) {
  return and(
    eq(sessions.userId, userId),
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, now),
    gt(sessions.absoluteExpiresAt, now),
    gt(sessions.lastSeenAt, idleCutoff),
  );
}
