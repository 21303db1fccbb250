import type { Tx } from '../db/index.js';
import type { JSONWebKeySet } from 'jose';

/** What Gatehouse puts in an access token besides the registered claims. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  email: string | null;
  email_verified: boolean;
  preferred_username: string | null;
  roles: string[];
  amr: string[];
}

export interface VerifiedAccessToken extends AccessTokenClaims {
  jti: string;
  iat: number;
  exp: number;
}

/**
 * Signs and verifies access tokens. The asymmetric implementation keeps its keys in
 * `signing_keys` (shared by replicas, published as JWKS); the HMAC one uses JWT_SECRET_KEY.
 */
export interface TokenSigner {
  readonly algorithm: string;
  sign(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }>;
  /** Rejects with `invalid_token` for anything but a valid, unexpired token of ours. */
  verify(token: string): Promise<VerifiedAccessToken>;
  jwks(): Promise<JSONWebKeySet>;
  /** Starts a new signing key; returns its kid. Old keys verify until their tokens expire. */
  rotate(within?: RotationHook): Promise<string>;
}

/** Runs in the rotation's transaction with the new key's id (its audit row goes there). */
export type RotationHook = (tx: Tx, kid: string) => Promise<void>;
