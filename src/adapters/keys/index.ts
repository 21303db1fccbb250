import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../db/index.js';
import { AsymmetricTokenSigner } from './asymmetric-signer.js';
import { HmacTokenSigner } from './hmac-signer.js';
import type { SealedBox } from './sealed-box.js';
import { SigningKeyRepository } from './signing-key-repository.js';
import type { TokenSigner } from './types.js';
import { VerifyCachingSigner } from './verify-cache.js';

export type { AccessTokenClaims, TokenSigner, VerifiedAccessToken } from './types.js';
export { SealedBox } from './sealed-box.js';
export { chooseKeyEncryption } from './key-encryption.js';

export async function createTokenSigner(options: {
  config: Config;
  db: Db;
  box: SealedBox | undefined;
  clock: Clock;
}): Promise<TokenSigner> {
  const { tokens } = options.config;
  const settings = {
    issuer: tokens.issuer,
    audience: tokens.audience,
    ttlSeconds: tokens.accessTokenTtlSeconds,
  };
  if (tokens.algorithm === 'HS256') {
    // Config validation guarantees the secret is present for HS256.
    return new HmacTokenSigner(tokens.secretKey ?? '', settings, options.clock);
  }
  const signer = await AsymmetricTokenSigner.create({
    algorithm: tokens.algorithm,
    repository: new SigningKeyRepository(options.db),
    box: options.box,
    settings,
    clock: options.clock,
  });
  // Public-key checks are the costly part of a request; HMAC ones are cheap enough as they are.
  return new VerifyCachingSigner(signer, options.clock);
}
