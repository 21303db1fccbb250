import { sql } from 'drizzle-orm';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { SealedBox } from '../../src/adapters/keys/sealed-box.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  get,
  json,
  newAccount,
  post,
  registerAndLogin,
  type TestApp,
} from '../helpers/app.js';
import { login, meStatus, postForm, refresh, rowsOf } from '../helpers/http.js';
import { expectProblem } from '../helpers/problem.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('access token expiry', () => {
    it('is refused once ACCESS_TOKEN_EXPIRE_MINUTES have passed', async () => {
      const { accessToken, refreshToken } = await registerAndLogin(t.app);
      const ttl = t.config.tokens.accessTokenTtlSeconds * 1000;
      expect(ttl).toBe(30 * MINUTE);

      t.clock.advance(ttl - MINUTE);
      expect(await meStatus(t.app, accessToken)).toBe(200);

      t.clock.advance(2 * MINUTE);
      const expired = await get(t.app, '/users/me', accessToken);
      const body = expectProblem(expired, 401, 'invalid_token');
      expect(body.detail).toMatch(/expired/i);
      expect(expired.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);

      // The session lives on: the refresh token still mints a fresh access token.
      const refreshed = await refresh(t.app, refreshToken);
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      expect(await meStatus(t.app, json(refreshed).access_token)).toBe(200);
    });
  });

  describe('refresh rotation', () => {
    it('returns a new pair and spends the old refresh token', async () => {
      const first = await registerAndLogin(t.app);
      const response = await refresh(t.app, first.refreshToken);
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const second = json(response);
      expect(Object.keys(second).sort()).toEqual(
        ['access_token', 'expires_in', 'refresh_token', 'token_type'].sort(),
      );
      expect(second.token_type).toBe('Bearer');
      expect(second.expires_in).toBe(t.config.tokens.accessTokenTtlSeconds);
      expect(second.refresh_token).not.toBe(first.refreshToken);
      expect(second.access_token).not.toBe(first.accessToken);

      // Same session, same user.
      const claimsOf = (token: string) =>
        JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
      expect(claimsOf(second.access_token).sid).toBe(claimsOf(first.accessToken).sid);
      expect(claimsOf(second.access_token).sub).toBe(first.user.id);
      expect(claimsOf(second.access_token).jti).not.toBe(claimsOf(first.accessToken).jti);

      // The successor rotates in turn: a chain of three works.
      const third = await refresh(t.app, second.refresh_token);
      expect(third.statusCode).toBe(200);
      expect(await meStatus(t.app, json(third).access_token)).toBe(200);
    });

    it('accepts the OAuth2 refresh_token grant as a form', async () => {
      const { refreshToken } = await registerAndLogin(t.app);
      const response = await postForm(t.app, '/auth/refresh', {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(await meStatus(t.app, json(response).access_token)).toBe(200);
    });

    it('refuses unknown and malformed refresh tokens with 401', async () => {
      for (const token of ['x', 'A'.repeat(43), 'not a token at all', '🙂'.repeat(10)]) {
        expectProblem(await refresh(t.app, token), 401, 'invalid_token');
      }
      // An access token is not a refresh token.
      const { accessToken } = await registerAndLogin(t.app);
      expect(accessToken.length).toBeGreaterThan(256);
      expectProblem(await refresh(t.app, accessToken.slice(0, 256)), 401, 'invalid_token');
      expectProblem(await refresh(t.app, accessToken), 422, 'validation_failed');
    });
  });

  describe('reuse detection', () => {
    it('a spent refresh token revokes the whole session', async () => {
      const { refreshToken: r1, accessToken: a1 } = await registerAndLogin(t.app);
      const second = json(await refresh(t.app, r1));
      const third = json(await refresh(t.app, second.refresh_token));
      expect(await meStatus(t.app, third.access_token)).toBe(200);

      const reuse = await refresh(t.app, r1);
      const body = expectProblem(reuse, 401, 'invalid_token');
      expect(body.detail).toMatch(/already used/i);

      // The newest refresh token and every access token of the session stop working.
      expectProblem(await refresh(t.app, third.refresh_token), 401, 'invalid_token');
      expect(await meStatus(t.app, third.access_token)).toBe(401);
      expect(await meStatus(t.app, second.access_token)).toBe(401);
      expect(await meStatus(t.app, a1)).toBe(401);
      // And presenting the spent token again changes nothing.
      expectProblem(await refresh(t.app, r1), 401, 'invalid_token');
    });

    it('reuse of one session leaves the user’s other sessions alone', async () => {
      const { account, refreshToken } = await registerAndLogin(t.app);
      const other = await login(t.app, account.email, account.password);
      await refresh(t.app, refreshToken);
      expectProblem(await refresh(t.app, refreshToken), 401, 'invalid_token');
      expect(await meStatus(t.app, other.accessToken)).toBe(200);
      expect((await refresh(t.app, other.refreshToken)).statusCode).toBe(200);
    });

    it('two parallel refreshes of one token: one 200, one 401, and no live chain after', async () => {
      const { refreshToken, accessToken } = await registerAndLogin(t.app);
      const [a, b] = await Promise.all([
        refresh(t.app, refreshToken),
        refresh(t.app, refreshToken),
      ]);
      const statuses = [a.statusCode, b.statusCode].sort();
      expect(statuses).toEqual([200, 401]);
      const winner = a.statusCode === 200 ? a : b;
      const loser = a.statusCode === 200 ? b : a;
      expectProblem(loser, 401, 'invalid_token');
      const issued = json(winner);

      // Documented behaviour: the losing request counts as reuse and ends the session, so the
      // pair the winner received is dead too.
      expectProblem(await refresh(t.app, issued.refresh_token), 401, 'invalid_token');
      expect(await meStatus(t.app, issued.access_token)).toBe(401);
      expect(await meStatus(t.app, accessToken)).toBe(401);
    });
  });

  describe('logout', () => {
    it('ends only its own session', async () => {
      const { account, accessToken, refreshToken } = await registerAndLogin(t.app);
      const other = await login(t.app, account.username, account.password);

      const logout = await post(t.app, '/auth/logout', undefined, accessToken);
      expect(logout.statusCode).toBe(204);

      expect(await meStatus(t.app, accessToken)).toBe(401);
      expectProblem(await refresh(t.app, refreshToken), 401, 'invalid_token');
      expect(await meStatus(t.app, other.accessToken)).toBe(200);
      const refreshed = await refresh(t.app, other.refreshToken);
      expect(refreshed.statusCode).toBe(200);
      expect(await meStatus(t.app, json(refreshed).access_token)).toBe(200);

      // Logging out twice with the same token: the token is dead.
      expectProblem(
        await post(t.app, '/auth/logout', undefined, accessToken),
        401,
        'invalid_token',
      );
    });

    it('also ends access tokens minted by refresh in that session', async () => {
      const { accessToken, refreshToken } = await registerAndLogin(t.app);
      const refreshed = json(await refresh(t.app, refreshToken));
      expect((await post(t.app, '/auth/logout', undefined, accessToken)).statusCode).toBe(204);
      expect(await meStatus(t.app, refreshed.access_token)).toBe(401);
      expectProblem(await refresh(t.app, refreshed.refresh_token), 401, 'invalid_token');
    });

    it('logout-all ends every session of the user and no one else’s', async () => {
      const first = await registerAndLogin(t.app);
      const second = await login(t.app, first.account.email, first.account.password);
      const third = await login(t.app, first.account.username, first.account.password);
      const stranger = await registerAndLogin(t.app);

      const response = await post(t.app, '/auth/logout-all', undefined, second.accessToken);
      expect(response.statusCode).toBe(204);

      for (const session of [first, second, third]) {
        expect(await meStatus(t.app, session.accessToken)).toBe(401);
        expectProblem(await refresh(t.app, session.refreshToken), 401, 'invalid_token');
      }
      expect(await meStatus(t.app, stranger.accessToken)).toBe(200);

      // A new login after logout-all works.
      const again = await login(t.app, first.account.email, first.account.password);
      expect(await meStatus(t.app, again.accessToken)).toBe(200);
    });

    it('requires a bearer token', async () => {
      expectProblem(await post(t.app, '/auth/logout'), 401, 'unauthorized');
      expectProblem(await post(t.app, '/auth/logout-all'), 401, 'unauthorized');
    });
  });

  describe('refresh token expiry', () => {
    it('is refused after REFRESH_TOKEN_EXPIRE_DAYS', async () => {
      const { refreshToken } = await registerAndLogin(t.app);
      const days = t.config.tokens.refreshTokenTtlSeconds / 86_400;
      expect(days).toBe(7);
      t.clock.advance(days * DAY + MINUTE);
      expectProblem(await refresh(t.app, refreshToken), 401, 'invalid_token');
    });

    it('slides forward on every refresh', async () => {
      const { refreshToken } = await registerAndLogin(t.app);
      t.clock.advance(6 * DAY);
      const second = await refresh(t.app, refreshToken);
      expect(second.statusCode).toBe(200);
      t.clock.advance(6 * DAY);
      const third = await refresh(t.app, json(second).refresh_token);
      expect(third.statusCode).toBe(200);
      expect(await meStatus(t.app, json(third).access_token)).toBe(200);
    });
  });

  describe('access token format', () => {
    it('verifies against the JWKS with the documented header and claims', async () => {
      const { account, user, accessToken } = await registerAndLogin(t.app);
      const jwksResponse = await get(t.app, '/.well-known/jwks.json');
      expect(jwksResponse.statusCode).toBe(200);
      const jwks = json(jwksResponse);
      const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(jwks), {
        issuer: t.config.tokens.issuer,
        audience: 'gatehouse',
        currentDate: t.clock.now(),
      });
      expect(t.config.tokens.issuer).toBe('http://gatehouse.test');

      expect(protectedHeader.alg).toBe('ES256');
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(typeof protectedHeader.kid).toBe('string');
      expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(protectedHeader.kid);

      for (const claim of [
        'iss',
        'aud',
        'sub',
        'exp',
        'iat',
        'jti',
        'sid',
        'email',
        'email_verified',
        'preferred_username',
        'roles',
        'amr',
      ]) {
        expect(payload, claim).toHaveProperty(claim);
      }
      expect(payload).toMatchObject({
        iss: t.config.tokens.issuer,
        aud: 'gatehouse',
        sub: user.id,
        email: account.email,
        email_verified: false,
        preferred_username: account.username,
        roles: ['user'],
        amr: ['pwd'],
      });
      expect(payload.exp! - payload.iat!).toBe(t.config.tokens.accessTokenTtlSeconds);
      expect(Math.abs(payload.iat! - Math.floor(t.clock.now().getTime() / 1000))).toBeLessThan(5);
      expect(typeof payload.jti).toBe('string');
      expect(typeof payload.sid).toBe('string');
      // Nothing secret rides in the token.
      expect(JSON.stringify(payload)).not.toContain(account.password);

      // Another audience does not accept it.
      await expect(
        jwtVerify(accessToken, createLocalJWKSet(jwks), {
          issuer: t.config.tokens.issuer,
          audience: 'someone-else',
          currentDate: t.clock.now(),
        }),
      ).rejects.toThrow();
    });

    it('refuses tokens signed by a foreign key, unsigned or tampered', async () => {
      const { accessToken, user } = await registerAndLogin(t.app);
      const header = decodeProtectedHeader(accessToken);
      const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString());

      // Same kid, same claims, someone else's key.
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: header.kid, typ: 'at+jwt' })
        .sign(privateKey);
      expectProblem(await get(t.app, '/users/me', forged), 401, 'invalid_token');

      // An unknown kid.
      const { privateKey: other, publicKey } = await generateKeyPair('ES256');
      expect((await exportJWK(publicKey)).kty).toBe('EC');
      const unknownKid = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'not-a-gatehouse-kid', typ: 'at+jwt' })
        .sign(other);
      expectProblem(await get(t.app, '/users/me', unknownKid), 401, 'invalid_token');

      // alg "none".
      const none = [
        Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url'),
        accessToken.split('.')[1],
        '',
      ].join('.');
      expectProblem(await get(t.app, '/users/me', none), 401, 'invalid_token');

      // A claim changed after signing.
      const [h, , s] = accessToken.split('.');
      const tampered = [
        h,
        Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url'),
        s,
      ].join('.');
      expectProblem(await get(t.app, '/users/me', tampered), 401, 'invalid_token');

      // The genuine token still works.
      expect(json(await get(t.app, '/users/me', accessToken)).id).toBe(user.id);
    });
  });
});

describe('tokens with HS256', () => {
  const secret = 'a-shared-secret-of-more-than-32-bytes!!';
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { JWT_ALGORITHM: 'HS256', JWT_SECRET_KEY: secret } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs in, signs with the secret and publishes no keys', async () => {
    const { accessToken, refreshToken, user } = await registerAndLogin(t.app);
    const { payload, protectedHeader } = await jwtVerify(
      accessToken,
      new TextEncoder().encode(secret),
      {
        issuer: t.config.tokens.issuer,
        audience: 'gatehouse',
        algorithms: ['HS256'],
        currentDate: t.clock.now(),
      },
    );
    expect(protectedHeader).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(payload.sub).toBe(user.id);
    expect(await meStatus(t.app, accessToken)).toBe(200);

    const jwks = await get(t.app, '/.well-known/jwks.json');
    expect(jwks.statusCode).toBe(200);
    expect(json(jwks)).toEqual({ keys: [] });
    const discovery = json(await get(t.app, '/.well-known/openid-configuration'));
    expect(discovery.id_token_signing_alg_values_supported).toEqual(['HS256']);

    const refreshed = await refresh(t.app, refreshToken);
    expect(refreshed.statusCode).toBe(200);
    expect(await meStatus(t.app, json(refreshed).access_token)).toBe(200);
  });

  it('refuses a token signed with another secret', async () => {
    const { accessToken } = await registerAndLogin(t.app);
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString());
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('another-secret-of-more-than-32-bytes!!'));
    expectProblem(await get(t.app, '/users/me', forged), 401, 'invalid_token');
  });
});

describe('signing keys at rest', () => {
  const KEK = 'kek-0123456789abcdef0123456789abcdef';
  it('are sealed with KEY_ENCRYPTION_KEY', async () => {
    const t = await buildTestApp({ env: { KEY_ENCRYPTION_KEY: KEK } });
    try {
      // Signing decrypts the key: a login proves the sealed key is usable.
      const { accessToken } = await registerAndLogin(t.app);
      expect(await meStatus(t.app, accessToken)).toBe(200);

      const result = await t.gatehouse.database.db.execute(
        sql`SELECT kid, alg, encryption, private_key FROM signing_keys`,
      );
      const rows = rowsOf<{ kid: string; alg: string; encryption: string; private_key: string }>(
        result,
      );
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row!.alg).toBe('ES256');
      expect(row!.encryption).toBe('aes-256-gcm');
      expect(row!.private_key).not.toContain('PRIVATE KEY');
      expect(row!.private_key.startsWith('v1.')).toBe(true);
      // Sealed with that key (not the embedded key file): it opens with KEY_ENCRYPTION_KEY.
      const opened = new SealedBox(KEK).open(row!.private_key, `signing-key:${row!.kid}`);
      expect(opened).toContain('-----BEGIN PRIVATE KEY-----');
      expect(() =>
        new SealedBox(`${KEK}-other`).open(row!.private_key, `signing-key:${row!.kid}`),
      ).toThrow();
      const jwks = json(await get(t.app, '/.well-known/jwks.json'));
      expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([row!.kid]);
      // The published key is public only.
      expect(jwks.keys[0]).not.toHaveProperty('d');
    } finally {
      await t.close();
    }
  });

  it('are never created in HS256 mode', async () => {
    const t = await buildTestApp({
      env: { JWT_ALGORITHM: 'HS256', JWT_SECRET_KEY: 'x'.repeat(40) },
    });
    try {
      const response = await post(t.app, '/auth/register', newAccount());
      expect(response.statusCode).toBe(201);
      const rows = rowsOf(await t.gatehouse.database.db.execute(sql`SELECT kid FROM signing_keys`));
      expect(rows).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});
