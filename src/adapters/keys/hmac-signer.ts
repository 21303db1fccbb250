import { jwtVerify, type JSONWebKeySet } from 'jose';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import {
  buildAccessToken,
  invalidTokenFrom,
  toVerifiedToken,
  verifyOptions,
  type TokenSettings,
} from './token-claims.js';
import type { AccessTokenClaims, TokenSigner, VerifiedAccessToken } from './types.js';

/**
 * HS256 with a shared JWT_SECRET_KEY, for platforms whose services already verify that way.
 * Symmetric keys are never published, so JWKS is empty and rotation means changing the secret.
 */
export class HmacTokenSigner implements TokenSigner {
  readonly algorithm = 'HS256';
  private readonly secret: Uint8Array;

  constructor(
    secret: string,
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {
    this.secret = new TextEncoder().encode(secret);
  }

  async sign(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }> {
    const token = await buildAccessToken(claims, this.settings, this.clock, {
      alg: 'HS256',
    }).sign(this.secret);
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    try {
      const { payload } = await jwtVerify(
        token,
        this.secret,
        verifyOptions(this.settings, this.clock, ['HS256']),
      );
      return toVerifiedToken(payload);
    } catch (error) {
      throw invalidTokenFrom(error);
    }
  }

  async jwks(): Promise<JSONWebKeySet> {
    return { keys: [] };
  }

  async rotate(): Promise<string> {
    throw errors.conflict('HS256 keys are rotated by changing JWT_SECRET_KEY.');
  }
}
