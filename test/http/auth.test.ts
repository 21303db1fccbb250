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
import { meStatus, patch, postForm, refresh } from '../helpers/http.js';
import { expectProblem, problemFields } from '../helpers/problem.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function register(account = newAccount()) {
    const response = await post(t.app, '/auth/register', account);
    expect(response.statusCode, response.body).toBe(201);
    return { account, user: json(response).user };
  }

  function expectTokenResponse(response: Awaited<ReturnType<typeof post>>) {
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = json(response);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(t.config.tokens.accessTokenTtlSeconds);
    expect(body.access_token.split('.')).toHaveLength(3);
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return body;
  }

  describe('happy path', () => {
    it('register → login → me → patch → refresh → logout', async () => {
      const account = newAccount();
      const registered = await post(t.app, '/auth/register', {
        ...account,
        full_name: '  Ada Lovelace  ',
      });
      expect(registered.statusCode).toBe(201);
      expect(registered.headers['content-type']).toMatch(/^application\/json/);
      const created = json(registered);
      expect(Object.keys(created).sort()).toEqual(['message', 'user']);
      expect(typeof created.message).toBe('string');
      expect(created.message.length).toBeGreaterThan(0);
      expect(created.user).toMatchObject({
        email: account.email,
        username: account.username,
        full_name: 'Ada Lovelace',
        email_verified: false,
        status: 'active',
        metadata: {},
      });
      expect(created.user.id).toMatch(UUID);
      expect(Number.isNaN(Date.parse(created.user.created_at))).toBe(false);
      expect(Number.isNaN(Date.parse(created.user.updated_at))).toBe(false);
      // Nothing secret leaks into the representation.
      expect(created.user).not.toHaveProperty('password_hash');
      expect(created.user).not.toHaveProperty('passwordHash');
      expect(registered.body).not.toContain('$argon2');
      expect(registered.body).not.toContain(account.password);

      const loggedIn = await post(t.app, '/auth/login', {
        identifier: account.email,
        password: account.password,
      });
      const tokens = expectTokenResponse(loggedIn);
      expect(tokens.user).toMatchObject({ id: created.user.id, email: account.email });
      expect(loggedIn.body).not.toContain('$argon2');

      const me = await get(t.app, '/users/me', tokens.access_token);
      expect(me.statusCode).toBe(200);
      expect(json(me)).toMatchObject({
        id: created.user.id,
        email: account.email,
        username: account.username,
        full_name: 'Ada Lovelace',
      });

      t.clock.advance(1_000);
      const newName = `${account.username}x`;
      const patched = await patch(
        t.app,
        '/users/me',
        { full_name: 'Ada King', username: newName, metadata: { theme: 'dark', n: [1, 2] } },
        tokens.access_token,
      );
      expect(patched.statusCode, patched.body).toBe(200);
      const updated = json(patched);
      expect(updated).toMatchObject({
        id: created.user.id,
        full_name: 'Ada King',
        username: newName,
        metadata: { theme: 'dark', n: [1, 2] },
      });
      expect(Date.parse(updated.updated_at)).toBeGreaterThan(Date.parse(created.user.updated_at));
      const meAgain = await get(t.app, '/users/me', tokens.access_token);
      expect(json(meAgain)).toMatchObject({ username: newName, full_name: 'Ada King' });

      const refreshed = await refresh(t.app, tokens.refresh_token);
      const pair = expectTokenResponse(refreshed);
      expect(pair.refresh_token).not.toBe(tokens.refresh_token);
      expect(pair.access_token).not.toBe(tokens.access_token);
      expect(await meStatus(t.app, pair.access_token)).toBe(200);

      const logout = await post(t.app, '/auth/logout', undefined, pair.access_token);
      expect(logout.statusCode).toBe(204);
      expect(logout.body).toBe('');
      expectProblem(await get(t.app, '/users/me', pair.access_token), 401, 'invalid_token');
      expectProblem(await get(t.app, '/users/me', tokens.access_token), 401, 'invalid_token');
      expectProblem(await refresh(t.app, pair.refresh_token), 401, 'invalid_token');

      // The username changed: the old one no longer logs in, the new one does.
      expectProblem(
        await post(t.app, '/auth/login', {
          identifier: account.username,
          password: account.password,
        }),
        401,
        'invalid_credentials',
      );
      expectTokenResponse(
        await post(t.app, '/auth/login', { identifier: newName, password: account.password }),
      );
    });

    it('userinfo returns the OpenID Connect style claims', async () => {
      const { account, user, accessToken } = await registerAndLogin(t.app);
      const response = await get(t.app, '/auth/userinfo', accessToken);
      expect(response.statusCode).toBe(200);
      const body = json(response);
      expect(Object.keys(body).sort()).toEqual(
        ['email', 'email_verified', 'name', 'preferred_username', 'roles', 'sub'].sort(),
      );
      expect(body).toEqual({
        sub: user.id,
        email: account.email,
        email_verified: false,
        preferred_username: account.username,
        name: null,
        roles: ['user'],
      });

      await patch(t.app, '/users/me', { full_name: 'Grace Hopper' }, accessToken);
      expect(json(await get(t.app, '/auth/userinfo', accessToken)).name).toBe('Grace Hopper');
      expectProblem(await get(t.app, '/auth/userinfo'), 401, 'unauthorized');
    });
  });

  describe('aliases and login forms', () => {
    it('signup accepts user_name without an email, and signin logs in by username', async () => {
      const { username, password } = newAccount();
      const signup = await post(t.app, '/auth/signup', { user_name: username, password });
      expect(signup.statusCode, signup.body).toBe(201);
      const body = json(signup);
      expect(body.user).toMatchObject({ username, email: null, status: 'active' });
      expect(typeof body.message).toBe('string');

      const signin = await post(t.app, '/auth/signin', { username, password });
      const tokens = expectTokenResponse(signin);
      expect(tokens.user.id).toBe(body.user.id);
      const info = json(await get(t.app, '/auth/userinfo', tokens.access_token));
      expect(info).toMatchObject({ sub: body.user.id, email: null, preferred_username: username });
    });

    it('signup accepts username with an email; login then works by either', async () => {
      const account = newAccount();
      const signup = await post(t.app, '/auth/signup', account);
      expect(signup.statusCode, signup.body).toBe(201);
      expect(json(signup).user).toMatchObject({
        username: account.username,
        email: account.email,
      });
      expectTokenResponse(
        await post(t.app, '/auth/signin', { email: account.email, password: account.password }),
      );
      expectTokenResponse(
        await post(t.app, '/auth/login', {
          identifier: account.username,
          password: account.password,
        }),
      );
    });

    it('signup without username or user_name is a 422 naming username', async () => {
      const { email, password } = newAccount();
      const body = expectProblem(
        await post(t.app, '/auth/signup', { email, password }),
        422,
        'validation_failed',
      );
      expect(problemFields(body)).toContain('username');
    });

    it('logs in by email or by username, whatever their case, in any login field', async () => {
      const { account, user } = await register();
      const { email, username, password } = account;
      const attempts = [
        { identifier: email },
        { identifier: email.toUpperCase() },
        { email },
        { email: email.toUpperCase() },
        { identifier: username },
        { identifier: username.toUpperCase() },
        { username },
        { username: username.toUpperCase() },
        // Each field accepts either kind of identifier.
        { username: email },
        { email: username },
      ];
      for (const attempt of attempts) {
        const response = await post(t.app, '/auth/login', { ...attempt, password });
        const body = expectTokenResponse(response);
        expect(body.user.id, JSON.stringify(attempt)).toBe(user.id);
      }
    });

    it('accepts the OAuth2 password grant as a form', async () => {
      const { account, user } = await register();
      const byUsername = await postForm(t.app, '/auth/login', {
        grant_type: 'password',
        username: account.username,
        password: account.password,
      });
      const body = expectTokenResponse(byUsername);
      expect(body.user.id).toBe(user.id);
      expect(await meStatus(t.app, body.access_token)).toBe(200);

      // OAuth2 clients put the email in `username` too.
      const byEmail = await postForm(t.app, '/auth/login', {
        grant_type: 'password',
        username: account.email.toUpperCase(),
        password: account.password,
      });
      expect(expectTokenResponse(byEmail).user.id).toBe(user.id);

      const wrong = await postForm(t.app, '/auth/login', {
        grant_type: 'password',
        username: account.username,
        password: 'not-the-password-at-all',
      });
      expectProblem(wrong, 401, 'invalid_credentials');

      const otherGrant = await postForm(t.app, '/auth/login', {
        grant_type: 'client_credentials',
        username: account.username,
        password: account.password,
      });
      expect(problemFields(expectProblem(otherGrant, 422, 'validation_failed'))).toContain(
        'grant_type',
      );
    });

    it('login without any identifier is a 422 naming identifier', async () => {
      const body = expectProblem(
        await post(t.app, '/auth/login', { password: 'Some-Password-123' }),
        422,
        'validation_failed',
      );
      expect(problemFields(body)).toEqual(['identifier']);
    });
  });

  describe('conflicts', () => {
    it('duplicate email, also in another case, is 409 conflict on email', async () => {
      const { account } = await register();
      for (const email of [account.email, account.email.toUpperCase()]) {
        const again = newAccount({ email });
        const body = expectProblem(await post(t.app, '/auth/register', again), 409, 'conflict');
        expect(body.errors).toEqual([{ field: 'email', message: expect.any(String) }]);
      }
    });

    it('duplicate username, also in another case, is 409 conflict on username', async () => {
      const { account } = await register();
      for (const username of [account.username, account.username.toUpperCase()]) {
        const again = newAccount({ username });
        const body = expectProblem(await post(t.app, '/auth/register', again), 409, 'conflict');
        expect(body.errors).toEqual([{ field: 'username', message: expect.any(String) }]);
      }
      // Through the signup alias as well.
      const viaSignup = await post(t.app, '/auth/signup', {
        user_name: account.username.toUpperCase(),
        password: newAccount().password,
      });
      expect(expectProblem(viaSignup, 409, 'conflict').errors[0].field).toBe('username');
    });

    it('20 parallel registrations of one username: exactly one 201, the rest 409', async () => {
      const username = newAccount().username;
      const accounts = Array.from({ length: 20 }, () => newAccount({ username }));
      const responses = await Promise.all(
        accounts.map((account) => post(t.app, '/auth/register', account)),
      );
      const statuses = responses.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      for (const response of responses.filter((r) => r.statusCode === 409)) {
        expect(expectProblem(response, 409, 'conflict').errors[0].field).toBe('username');
      }
      // The winner owns the username; the losers' emails were not taken.
      const winnerIndex = statuses.indexOf(201);
      const winner = accounts[winnerIndex]!;
      expect(json(responses[winnerIndex]!).user.email).toBe(winner.email);
      const login = await post(t.app, '/auth/login', {
        identifier: username,
        password: winner.password,
      });
      expect(expectTokenResponse(login).user.email).toBe(winner.email);
      const loser = accounts[(winnerIndex + 1) % accounts.length]!;
      expectProblem(
        await post(t.app, '/auth/login', { identifier: loser.email, password: loser.password }),
        401,
        'invalid_credentials',
      );
      await register(newAccount({ email: loser.email }));
    });
  });

  describe('credentials', () => {
    it('wrong password and unknown user give the same 401 body', async () => {
      const { account } = await register();
      const wrong = await post(t.app, '/auth/login', {
        identifier: account.email,
        password: `${account.password}-nope`,
      });
      const unknownEmail = await post(t.app, '/auth/login', {
        identifier: `nobody-${account.email}`,
        password: account.password,
      });
      const unknownUsername = await post(t.app, '/auth/login', {
        identifier: `nobody${account.username}`,
        password: account.password,
      });
      const pick = (body: any) => ({
        type: body.type,
        title: body.title,
        status: body.status,
        detail: body.detail,
        code: body.code,
      });
      const reference = expectProblem(wrong, 401, 'invalid_credentials');
      for (const other of [unknownEmail, unknownUsername]) {
        const body = expectProblem(other, 401, 'invalid_credentials');
        expect(pick(body)).toEqual(pick(reference));
        expect(Object.keys(body).sort()).toEqual(Object.keys(reference).sort());
        expect(other.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
        expect(other.headers['content-type']).toBe(wrong.headers['content-type']);
      }
      expect(reference.detail).not.toMatch(/exist|unknown|not found/i);
    });

    it('weak passwords are refused with 422 weak_password', async () => {
      const tag = newAccount().username;
      const email = `mailbox${tag}@example.com`;
      const username = `handle${tag}`;
      const weak: [reason: string, password: string, detail: RegExp][] = [
        ['too short', 'Ab3$xyz', /at least 8/],
        ['common password123', 'password123', /common/],
        ['common qwertyuiop', 'qwertyuiop', /common/],
        ['common in another case', 'PassWord123', /common/],
        ['contains the username', `my-${username}-Secret!`, /username/],
        ['contains the username upper-cased', `xx${username.toUpperCase()}yy`, /username/],
        ['contains the email local part', `zz${`mailbox${tag}`}-Quartz`, /email/],
        ['contains the whole email', `${email}!`, /email/],
        ['129 characters', 'Qz7-'.repeat(32) + 'Q', /at most 128/],
      ];
      for (const [reason, password, detail] of weak) {
        const response = await post(t.app, '/auth/register', { email, username, password });
        const body = expectProblem(response, 422, 'weak_password');
        expect(body.detail, reason).toMatch(detail);
        expect(body.errors, reason).toEqual([{ field: 'password', message: expect.any(String) }]);
        expect(response.body).not.toContain(password);
      }
      // Nothing was created: the same identifiers are still free.
      const ok = await post(t.app, '/auth/register', {
        email,
        username,
        password: 'Qz7-'.repeat(32),
      });
      expect(ok.statusCode, ok.body).toBe(201);
    });

    it('accepts a 128-character password and an 8-character one', async () => {
      const long = newAccount({ password: 'Lx9!'.repeat(32) });
      expect(long.password).toHaveLength(128);
      await register(long);
      const tokens = expectTokenResponse(
        await post(t.app, '/auth/login', { identifier: long.email, password: long.password }),
      );
      expect(await meStatus(t.app, tokens.access_token)).toBe(200);
      // One character short is a different password.
      expectProblem(
        await post(t.app, '/auth/login', {
          identifier: long.email,
          password: long.password.slice(0, 127),
        }),
        401,
        'invalid_credentials',
      );

      const short = newAccount({ password: 'Vq7#mLp2' });
      await register(short);
      expectTokenResponse(
        await post(t.app, '/auth/login', { identifier: short.username, password: 'Vq7#mLp2' }),
      );
    });

    it('passwords are case-sensitive', async () => {
      const { account } = await register();
      expectProblem(
        await post(t.app, '/auth/login', {
          identifier: account.email,
          password: account.password.toUpperCase(),
        }),
        401,
        'invalid_credentials',
      );
    });
  });

  it('login and refresh responses are not cacheable', async () => {
    const { account } = await register();
    const login = await post(t.app, '/auth/login', {
      identifier: account.email,
      password: account.password,
    });
    expect(login.headers['cache-control']).toBe('no-store');
    const signin = await post(t.app, '/auth/signin', {
      identifier: account.email,
      password: account.password,
    });
    expect(signin.headers['cache-control']).toBe('no-store');
    const refreshed = await refresh(t.app, json(login).refresh_token);
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
  });
});
