import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, json, newAccount, post, type TestApp } from '../helpers/app.js';
import { login, meStatus, refresh } from '../helpers/http.js';
import { expectProblem } from '../helpers/problem.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

async function registerUser(app: FastifyInstance) {
  const account = newAccount();
  const response = await post(app, '/auth/register', account);
  expect(response.statusCode, response.body).toBe(201);
  return account;
}

function loginWithAgent(app: FastifyInstance, identifier: string, password: string, agent: string) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: '192.0.2.44',
    headers: { 'user-agent': agent },
    payload: { identifier, password },
  });
}

function del(app: FastifyInstance, url: string, token: string) {
  return app.inject({
    method: 'DELETE',
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
  });
}

/** @see issue #5 — session management. */
describe('sessions', () => {
  describe('listing and ending your sessions', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    it('lists each session with its client, marking the current one', async () => {
      const account = await registerUser(t.app);
      const phone = json(await loginWithAgent(t.app, account.email, account.password, 'Phone/1.0'));
      t.clock.advance(MINUTE);
      const laptop = json(
        await loginWithAgent(t.app, account.email, account.password, 'Laptop/2.0'),
      );
      const response = await get(t.app, '/users/me/sessions', laptop.access_token);
      expect(response.statusCode, response.body).toBe(200);
      const { items } = json(response);
      expect(items).toHaveLength(2);
      expect(items.map((s: { user_agent: string }) => s.user_agent)).toEqual([
        'Laptop/2.0',
        'Phone/1.0',
      ]);
      expect(items.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
      for (const session of items) {
        expect(Object.keys(session).sort()).toEqual(
          ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_seen_at', 'user_agent'].sort(),
        );
        expect(session.ip).toBe('192.0.2.44');
      }
      expect(Date.parse(items[0].created_at) - Date.parse(items[1].created_at)).toBe(MINUTE);
      // The phone sees the same list with its own session current.
      const fromPhone = json(await get(t.app, '/users/me/sessions', phone.access_token));
      expect(fromPhone.items.map((s: { current: boolean }) => s.current)).toEqual([false, true]);
      expect(response.body).not.toContain(laptop.refresh_token);
    });

    it('ending one session ends its refresh chain at once and leaves the others working', async () => {
      const account = await registerUser(t.app);
      const a = await login(t.app, account.email, account.password);
      const b = await login(t.app, account.email, account.password);
      const c = await login(t.app, account.email, account.password);
      const list = json(await get(t.app, '/users/me/sessions', a.accessToken)).items;
      const sessionOf = async (token: string) =>
        json(await get(t.app, '/users/me/sessions', token)).items.find(
          (s: { current: boolean }) => s.current,
        ).id as string;
      const target = await sessionOf(b.accessToken);
      expect(list.map((s: { id: string }) => s.id)).toContain(target);

      const ended = await del(t.app, `/users/me/sessions/${target}`, a.accessToken);
      expect(ended.statusCode, ended.body).toBe(204);
      expectProblem(await refresh(t.app, b.refreshToken), 401, 'invalid_token');
      expect(await meStatus(t.app, b.accessToken)).toBe(401);
      expect((await refresh(t.app, a.refreshToken)).statusCode).toBe(200);
      expect((await refresh(t.app, c.refreshToken)).statusCode).toBe(200);
      expect(json(await get(t.app, '/users/me/sessions', a.accessToken)).items).toHaveLength(2);
      // Again: it is no longer active.
      expectProblem(
        await del(t.app, `/users/me/sessions/${target}`, a.accessToken),
        404,
        'not_found',
      );
    });

    it("another user's session id is a 404 and stays alive", async () => {
      const mallory = await registerUser(t.app);
      const alice = await registerUser(t.app);
      const m = await login(t.app, mallory.email, mallory.password);
      const al = await login(t.app, alice.email, alice.password);
      const aliceSession = json(await get(t.app, '/users/me/sessions', al.accessToken)).items[0].id;
      expectProblem(
        await del(t.app, `/users/me/sessions/${aliceSession}`, m.accessToken),
        404,
        'not_found',
      );
      expect(await meStatus(t.app, al.accessToken)).toBe(200);
      expectProblem(
        await del(t.app, '/users/me/sessions/not-a-uuid', m.accessToken),
        422,
        'validation_failed',
      );
      expectProblem(await del(t.app, '/users/me/sessions', 'bad'), 401, 'invalid_token');
    });

    it('DELETE /users/me/sessions ends all but the current one', async () => {
      const account = await registerUser(t.app);
      const keep = await login(t.app, account.email, account.password);
      const others = [
        await login(t.app, account.email, account.password),
        await login(t.app, account.email, account.password),
      ];
      expect((await del(t.app, '/users/me/sessions', keep.accessToken)).statusCode).toBe(204);
      for (const other of others) {
        expectProblem(await refresh(t.app, other.refreshToken), 401, 'invalid_token');
        expect(await meStatus(t.app, other.accessToken)).toBe(401);
      }
      expect(await meStatus(t.app, keep.accessToken)).toBe(200);
      expect((await refresh(t.app, keep.refreshToken)).statusCode).toBe(200);
      const items = json(await get(t.app, '/users/me/sessions', keep.accessToken)).items;
      expect(items).toHaveLength(1);
      expect(items[0].current).toBe(true);
    });
  });

  describe('MAX_SESSIONS_PER_USER with evict_oldest', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({
        env: { MAX_SESSIONS_PER_USER: '2', SESSION_LIMIT_POLICY: 'evict_oldest' },
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('a third login ends the oldest session', async () => {
      const account = await registerUser(t.app);
      const first = await login(t.app, account.email, account.password);
      t.clock.advance(1_000);
      const second = await login(t.app, account.email, account.password);
      t.clock.advance(1_000);
      const third = await login(t.app, account.email, account.password);
      expectProblem(await refresh(t.app, first.refreshToken), 401, 'invalid_token');
      expect(await meStatus(t.app, first.accessToken)).toBe(401);
      expect((await refresh(t.app, second.refreshToken)).statusCode).toBe(200);
      expect(json(await get(t.app, '/users/me/sessions', third.accessToken)).items).toHaveLength(2);
    });

    it('holds under concurrent logins', async () => {
      const account = await registerUser(t.app);
      const responses = await Promise.all(
        Array.from({ length: 6 }, () =>
          post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
        ),
      );
      expect(responses.map((r) => r.statusCode)).toEqual(Array(6).fill(200));
      const fresh = await login(t.app, account.email, account.password);
      const items = json(await get(t.app, '/users/me/sessions', fresh.accessToken)).items;
      expect(items).toHaveLength(2);
    });
  });

  describe('MAX_SESSIONS_PER_USER with deny', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ env: { MAX_SESSIONS_PER_USER: '2', SESSION_LIMIT_POLICY: 'deny' } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('a third login is refused with 409 session_limit_reached until one ends', async () => {
      const account = await registerUser(t.app);
      const first = await login(t.app, account.email, account.password);
      await login(t.app, account.email, account.password);
      const refused = await post(t.app, '/auth/login', {
        identifier: account.email,
        password: account.password,
      });
      const body = expectProblem(refused, 409, 'session_limit_reached');
      expect(body.detail).toMatch(/2 active sessions/);
      expect(refused.body).not.toContain('access_token');
      // The refusal is not a failed login: no lockout builds up.
      for (let i = 0; i < 6; i += 1) {
        await post(t.app, '/auth/login', { identifier: account.email, password: account.password });
      }
      expect((await post(t.app, '/auth/logout', undefined, first.accessToken)).statusCode).toBe(
        204,
      );
      expect(
        (
          await post(t.app, '/auth/login', {
            identifier: account.email,
            password: account.password,
          })
        ).statusCode,
      ).toBe(200);
    });

    it('expired sessions do not count toward the limit', async () => {
      const account = await registerUser(t.app);
      await login(t.app, account.email, account.password);
      await login(t.app, account.email, account.password);
      t.clock.advance(8 * DAY); // past REFRESH_TOKEN_EXPIRE_DAYS (7)
      expect(
        (
          await post(t.app, '/auth/login', {
            identifier: account.email,
            password: account.password,
          })
        ).statusCode,
      ).toBe(200);
    });
  });

  describe('idle timeout and absolute lifetime', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({
        env: {
          SESSION_IDLE_TIMEOUT_MINUTES: '60',
          SESSION_MAX_LIFETIME_DAYS: '2',
          REFRESH_TOKEN_EXPIRE_DAYS: '7',
        },
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('a session refreshed within the idle timeout lives on; idle past it, it ends', async () => {
      const account = await registerUser(t.app);
      let { refreshToken } = await login(t.app, account.email, account.password);
      for (let i = 0; i < 3; i += 1) {
        t.clock.advance(59 * MINUTE);
        const response = await refresh(t.app, refreshToken);
        expect(response.statusCode, response.body).toBe(200);
        refreshToken = json(response).refresh_token;
      }
      t.clock.advance(61 * MINUTE);
      const idle = await refresh(t.app, refreshToken);
      expectProblem(idle, 401, 'invalid_token');
      expect(json(idle).detail).toMatch(/session has ended/);
    });

    it('idle sessions are not listed', async () => {
      const account = await registerUser(t.app);
      await login(t.app, account.email, account.password);
      t.clock.advance(61 * MINUTE);
      const now = await login(t.app, account.email, account.password);
      const items = json(await get(t.app, '/users/me/sessions', now.accessToken)).items;
      expect(items).toHaveLength(1);
    });

    it('however active, a session ends SESSION_MAX_LIFETIME_DAYS after login', async () => {
      const account = await registerUser(t.app);
      let { refreshToken } = await login(t.app, account.email, account.password);
      for (let elapsed = 0; elapsed < 2 * DAY - 60 * MINUTE; elapsed += 50 * MINUTE) {
        t.clock.advance(50 * MINUTE);
        const response = await refresh(t.app, refreshToken);
        expect(response.statusCode, response.body).toBe(200);
        refreshToken = json(response).refresh_token;
      }
      t.clock.advance(60 * MINUTE);
      expectProblem(await refresh(t.app, refreshToken), 401, 'invalid_token');
    });
  });
});
