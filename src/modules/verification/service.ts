import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../../adapters/db/index.js';
import type { OneTimeTokenPurpose } from './schema.js';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { OneTimeTokenRepository, OneTimeTokenRow } from './repository.js';
import { tokenState } from './state.js';

export interface IssuedToken {
  /** For the link: 256 random bits, base64url. */
  token: string;
  /** For typing in: six digits. */
  code: string;
  expiresAt: Date;
}

/**
 * The part of this module's table the MFA module keeps its login challenges in (purpose
 * `mfa_challenge`): an owner-declared interface, so MFA never imports the repository.
 */
export type ChallengeTokens = Pick<
  OneTimeTokenRepository,
  'replace' | 'findByTokenHash' | 'countWrongCode' | 'consume'
>;

/** How a user proves they got the mail: the link's token, or the address and the code. */
export type Proof = { token: string } | { email: string; code: string };

const hash = (value: string) => createHash('sha256').update(value).digest('base64url');
const codeHash = (id: string, code: string) => hash(`${id}:${code}`);

/** One-time tokens for verification, reset and email change: issue, resolve, consume. */
export class OneTimeTokenService {
  constructor(
    private readonly deps: { tokens: OneTimeTokenRepository; clock: Clock; ttlSeconds: number },
  ) {}

  /**
   * Issues a token (replacing the user's live one of the same purpose) in the caller's
   * transaction; it lives `ttlSeconds`, the configured code lifetime unless given.
   */
  async issue(
    tx: Executor,
    userId: string,
    purpose: OneTimeTokenPurpose,
    email: string,
    ttlSeconds = this.deps.ttlSeconds,
  ): Promise<IssuedToken> {
    const now = this.deps.clock.now();
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    await this.deps.tokens.replace(
      tx,
      {
        id,
        userId,
        purpose,
        email,
        tokenHash: hash(token),
        codeHash: codeHash(id, code),
        createdAt: now,
        expiresAt,
      },
      now,
    );
    return { token, code, expiresAt };
  }

  /**
   * The live token `proof` designates, or `invalid_token`. A wrong code counts against every
   * live token mailed to that address; the sixth wrong one voids it. Call outside the flow's
   * transaction, so the count stands even when the flow fails.
   */
  async resolve(proof: Proof, purposes: OneTimeTokenPurpose[]): Promise<OneTimeTokenRow> {
    const now = this.deps.clock.now();
    if ('token' in proof) {
      const row =
        proof.token.length > 0 && proof.token.length <= 128
          ? await this.deps.tokens.findByTokenHash(hash(proof.token))
          : undefined;
      if (!row || !purposes.includes(row.purpose) || tokenState(row, now).state !== 'live') {
        throw errors.invalidOneTimeToken();
      }
      return row;
    }
    const candidates = await this.deps.tokens.findLiveByEmail(proof.email, purposes, now);
    // Compare against every candidate, in constant time each, before deciding.
    let match: OneTimeTokenRow | undefined;
    for (const row of candidates) {
      const expected = Buffer.from(row.codeHash);
      const given = Buffer.from(codeHash(row.id, proof.code));
      if (expected.length === given.length && timingSafeEqual(expected, given)) match = row;
    }
    if (match) return match;
    await this.deps.tokens.countWrongCode(candidates.map((row) => row.id));
    throw errors.invalidOneTimeToken();
  }

  /** Spends `row` in the flow's transaction; of racing callers only one gets past this. */
  async consume(tx: Executor, row: OneTimeTokenRow): Promise<OneTimeTokenRow> {
    const consumed = await this.deps.tokens.consume(tx, row.id, this.deps.clock.now());
    if (!consumed) throw errors.invalidOneTimeToken();
    return consumed;
  }

  deleteForUser(tx: Executor, userId: string): Promise<void> {
    return this.deps.tokens.deleteForUser(tx, userId);
  }
}
