import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, newAccount, post, registerAndLogin, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/problem.js';

const LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_LOGIN_PER_IP: '4/1m',
  RATE_LIMIT_LOGIN_PER_IDENTIFIER: '3/1m',
  RATE_LIMIT_REGISTER_PER_IP: '2/1h',
  RATE_LIMIT_REFRESH_PER_IP: '2/1m',
};

function loginFrom(
  t: TestApp,
  ip: string,
  identifier: string,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: ip,
    headers,
    payload: { identifier, password: 'wrong-password-123' },
  });
}

function expectRateLimitHeaders(response: { headers: Record<string, unknown> }, limit: number) {
  expect(Number(response.headers['ratelimit-limit'])).toBe(limit);
  expect(Number(response.headers['ratelimit-remaining'])).toBeGreaterThanOrEqual(0);
  const reset = Number(response.headers['ratelimit-reset']);
  expect(reset).toBeGreaterThanOrEqual(1);
  expect(reset).toBeLessThanOrEqual(3600);
}

/** @see issue #5 — rate limits per client IP and per identifier. */
describe('rate limits', () => {
  describe('without a trusted proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ env: LIMITS });
    });
    afterAll(async () => {
      await t.close();
    });

    it('per IP: the 5th login from one address is 429 with Retry-After and RateLimit-*', async () => {
      const responses = [];
      for (let i = 0; i < 5; i += 1) {
        responses.push(await loginFrom(t, '203.0.113.1', newAccount().email));
      }
      expect(responses.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 429]);
      // The tightest budget is shown: the identifier's (2 of 3 left) until the IP's is lower.
      expect(responses.slice(0, 4).map((r) => r.headers['ratelimit-remaining'])).toEqual([
        '2',
        '2',
        '1',
        '0',
      ]);
      const refused = responses[4]!;
      const body = expectProblem(refused, 429, 'rate_limited');
      expect(body.detail).toMatch(/retry/i);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expectRateLimitHeaders(refused, 4);
      expect(refused.headers['ratelimit-remaining']).toBe('0');
      // Another address is not affected.
      expect((await loginFrom(t, '203.0.113.2', newAccount().email)).statusCode).toBe(401);
    });

    it('per identifier: the 4th attempt on one account from four addresses is 429', async () => {
      const { email } = newAccount();
      const statuses = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push((await loginFrom(t, `198.51.100.${i + 1}`, email)).statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Spelling variants of the identifier share the budget.
      expect((await loginFrom(t, '198.51.100.9', email.toUpperCase())).statusCode).toBe(429);
    });

    it('X-Forwarded-For is ignored: rotating it does not buy more attempts', async () => {
      const statuses = [];
      for (let i = 0; i < 5; i += 1) {
        const response = await loginFrom(t, '203.0.113.50', newAccount().email, {
          'x-forwarded-for': `10.0.0.${i + 1}`,
        });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
    });

    it('requests that fail validation are counted too', async () => {
      const ip = '203.0.113.60';
      const bad = () =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: {} });
      for (let i = 0; i < 4; i += 1) expect((await bad()).statusCode).toBe(422);
      expectProblem(await bad(), 429, 'rate_limited');
    });

    it('register is limited per IP', async () => {
      const register = () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          remoteAddress: '203.0.113.70',
          payload: newAccount(),
        });
      expect((await register()).statusCode).toBe(201);
      const second = await register();
      expect(second.statusCode).toBe(201);
      expectRateLimitHeaders(second, 2);
      expectProblem(await register(), 429, 'rate_limited');
    });

    it('refresh is limited per IP; routes without the option carry no RateLimit headers', async () => {
      const refresh = () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          remoteAddress: '203.0.113.80',
          payload: { refresh_token: 'x'.repeat(43) },
        });
      expect((await refresh()).statusCode).toBe(401);
      expect((await refresh()).statusCode).toBe(401);
      expectProblem(await refresh(), 429, 'rate_limited');
      const health = await t.app.inject({ method: 'GET', url: '/health' });
      expect(health.headers['ratelimit-limit']).toBeUndefined();
    });
  });

  describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ env: { ...LIMITS, TRUST_PROXY: 'true' } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('the client address comes from X-Forwarded-For', async () => {
      const from = (client: string) =>
        loginFrom(t, '10.0.0.1', newAccount().email, { 'x-forwarded-for': client });
      for (let i = 0; i < 4; i += 1) expect((await from('192.0.2.10')).statusCode).toBe(401);
      expectProblem(await from('192.0.2.10'), 429, 'rate_limited');
      // Same proxy, another client: its own budget.
      expect((await from('192.0.2.11')).statusCode).toBe(401);
    });
  });

  describe('RATE_LIMIT_ENABLED=false', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ env: { ...LIMITS, RATE_LIMIT_ENABLED: 'false' } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('turns every limit off', async () => {
      for (let i = 0; i < 10; i += 1) {
        const response = await loginFrom(t, '203.0.113.90', newAccount().email);
        expect(response.statusCode).toBe(401);
        expect(response.headers['ratelimit-limit']).toBeUndefined();
      }
      const { refreshToken } = await registerAndLogin(t.app);
      let token = refreshToken;
      for (let i = 0; i < 5; i += 1) {
        const response = await post(t.app, '/auth/refresh', { refresh_token: token });
        expect(response.statusCode).toBe(200);
        token = JSON.parse(response.body).refresh_token;
      }
    });
  });
});
