import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, type JWTPayload } from 'jose';
import { errors } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { AccessTokenClaims, VerifiedAccessToken } from './types.js';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** RFC 9068 media type: keeps an access token from being taken for another kind of JWT. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

export function buildAccessToken(
  claims: AccessTokenClaims,
  settings: TokenSettings,
  clock: Clock,
  header: { alg: string; kid?: string },
): SignJWT {
  const iat = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ ...header, typ: ACCESS_TOKEN_TYP })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + settings.ttlSeconds);
}

export function verifyOptions(settings: TokenSettings, clock: Clock, algorithms: string[]) {
  return {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms,
    typ: ACCESS_TOKEN_TYP,
    currentDate: clock.now(),
    requiredClaims: ['sub', 'sid', 'jti', 'exp', 'iat'],
  };
}

/** Narrows a verified payload to our claims; anything malformed is an invalid token. */
export function toVerifiedToken(payload: JWTPayload): VerifiedAccessToken {
  const p = payload as Record<string, unknown>;
  const stringArray = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  const roles = stringArray(p.roles);
  const amr = stringArray(p.amr);
  if (
    typeof p.sub !== 'string' ||
    typeof p.sid !== 'string' ||
    typeof p.jti !== 'string' ||
    typeof p.iat !== 'number' ||
    typeof p.exp !== 'number' ||
    !roles ||
    !amr
  ) {
    throw errors.invalidToken();
  }
  return {
    sub: p.sub,
    sid: p.sid,
    jti: p.jti,
    iat: p.iat,
    exp: p.exp,
    email: typeof p.email === 'string' ? p.email : null,
    email_verified: p.email_verified === true,
    preferred_username: typeof p.preferred_username === 'string' ? p.preferred_username : null,
    roles,
    amr,
  };
}

/** Maps jose's failures to our error; the reason goes to logs only. */
export function invalidTokenFrom(error: unknown): Error {
  if (error instanceof joseErrors.JWTExpired) {
    return errors.invalidToken('The access token has expired.', { cause: error });
  }
  if (error instanceof joseErrors.JOSEError)
    return errors.invalidToken(undefined, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}
