import type { JSONWebKeySet } from 'jose';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { AccessTokenClaims, RotationHook, TokenSigner, VerifiedAccessToken } from './types.js';

/**
 * Remembers tokens whose signature already checked out, so a client calling many times with
 * the same token pays the signature check once. Expiry is still checked on every call, only
 * successes are kept, and the size is bounded (oldest out first). Revocation is unaffected:
 * the session check happens after this, on every request.
 */
export class VerifyCachingSigner implements TokenSigner {
  private readonly verified = new Map<string, VerifiedAccessToken>();

  constructor(
    private readonly inner: TokenSigner,
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  get algorithm(): string {
    return this.inner.algorithm;
  }

  sign(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }> {
    return this.inner.sign(claims);
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.exp * 1000 > this.clock.now().getTime()) return cached;
      this.verified.delete(token);
      throw errors.invalidToken('The access token has expired.');
    }
    const claims = await this.inner.verify(token);
    if (this.verified.size >= this.maxEntries) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, claims);
    return claims;
  }

  jwks(): Promise<JSONWebKeySet> {
    return this.inner.jwks();
  }

  rotate(within?: RotationHook): Promise<string> {
    return this.inner.rotate(within);
  }
}
