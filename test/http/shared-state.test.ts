import { randomUUID } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { buildTestApp, json, newAccount, post, tempDir, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { expectProblem } from '../helpers/problem.js';
import { REDIS_URL, describeWithRedis } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

function loginFrom(t: TestApp, ip: string, identifier: string, password = 'wrong-password-123') {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: ip,
    payload: { identifier, password },
  });
}

function ready(t: TestApp) {
  return t.app.inject({ method: 'GET', url: '/ready' });
}

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** @see issue #5 — lockout state lives in the database: every replica sees it. */
describe('two instances on one database', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    const clock = new ManualClock();
    // Replicas share the key-encryption key (here: the embedded key file of one DATA_DIR).
    const env = { DATA_DIR: tempDir('data-') };
    [a, b] = await Promise.all([
      buildTestApp({ db, clock, env }),
      buildTestApp({ db, clock, env }),
    ]);
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await db.drop();
  });

  it('share the lockout: failures on one lock the identifier on the other', async () => {
    const account = newAccount();
    expect((await post(a.app, '/auth/register', account)).statusCode).toBe(201);
    for (const t of [a, b, a, b, a]) {
      expect((await loginFrom(t, '192.0.2.1', account.email)).statusCode).toBe(401);
    }
    expectProblem(
      await loginFrom(b, '192.0.2.1', account.email, account.password),
      423,
      'account_locked',
    );
    expectProblem(
      await loginFrom(a, '192.0.2.1', account.email, account.password),
      423,
      'account_locked',
    );
  });
});

/** @see issue #5 — rate limits shared through Redis, and what happens when Redis goes away. */
describeWithRedis('rate limits through Redis', () => {
  const redis = new URL(REDIS_URL ?? 'redis://127.0.0.1:6379');
  const limits = {
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_LOGIN_PER_IP: '4/1m',
    RATE_LIMIT_LOGIN_PER_IDENTIFIER: '100/1m',
  };

  describe('two instances on one database and one Redis', () => {
    let db: TestDatabase;
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      db = await createTestDatabase();
      const env = {
        ...limits,
        DATA_DIR: tempDir('data-'),
        REDIS_URL: redis.toString(),
        REDIS_KEY_PREFIX: `test-${randomUUID()}:`,
      };
      a = await buildTestApp({ db, env });
      b = await buildTestApp({ db, env });
      for (const t of [a, b]) {
        await until(async () => json(await ready(t)).checks.redis?.status === 'ok');
      }
    });
    afterAll(async () => {
      await a.stop();
      await b.stop();
      await db.drop();
    });

    it('share one budget per client IP', async () => {
      const statuses = [];
      for (const t of [a, b, a, b, a, b]) {
        statuses.push((await loginFrom(t, '192.0.2.20', newAccount().email)).statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    });

    it('/ready reports Redis', async () => {
      const response = await ready(a);
      expect(response.statusCode).toBe(200);
      expect(json(response).checks.redis).toEqual({ status: 'ok' });
    });
  });

  describe('Redis unreachable mid-test', () => {
    let proxy: TcpProxy;
    let t: TestApp;
    const logLines: string[] = [];
    beforeAll(async () => {
      proxy = new TcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
      await proxy.start();
      const url = new URL(redis.toString());
      url.port = String(proxy.port);
      const logger = {
        ...(loggerOptions('info') as object),
        stream: { write: (line: string) => logLines.push(line) },
      } as FastifyServerOptions['logger'];
      t = await buildTestApp({
        env: { ...limits, REDIS_URL: url.toString(), REDIS_KEY_PREFIX: `test-${randomUUID()}:` },
        logger,
      });
      await until(async () => json(await ready(t)).checks.redis?.status === 'ok');
    });
    afterAll(async () => {
      await t.close();
      await proxy.stop();
    });

    it('keeps serving with per-process limits, says so in logs and /ready, and recovers', async () => {
      expect((await loginFrom(t, '192.0.2.30', newAccount().email)).statusCode).toBe(401);

      await proxy.stop();
      await until(async () => json(await ready(t)).checks.redis.status === 'degraded');
      const response = await ready(t);
      expect(response.statusCode).toBe(200);
      expect(json(response).status).toBe('ready');
      expect(json(response).checks.redis.detail).toMatch(/per process/);

      // Still served, still limited (by the in-process insurance limiter): never a 500.
      const statuses = [];
      for (let i = 0; i < 6; i += 1) {
        statuses.push((await loginFrom(t, '192.0.2.31', newAccount().email)).statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
      const account = newAccount();
      expect((await post(t.app, '/auth/register', account)).statusCode).toBe(201);
      expect((await loginFrom(t, '192.0.2.32', account.email, account.password)).statusCode).toBe(
        200,
      );
      await until(async () =>
        logLines.some((l) => l.includes('rate limits are counted per process')),
      );
      const warning = logLines.map((l) => JSON.parse(l)).find((l) => /per process/.test(l.msg));
      expect(warning.level).toBe(40);

      await proxy.start();
      await until(async () => json(await ready(t)).checks.redis.status === 'ok', 10_000);
      expect(logLines.some((l) => l.includes('Redis reachable'))).toBe(true);
    });
  });

  describe('Redis unreachable from the start', () => {
    it('serves with per-process limits and says so', async () => {
      const closed = new TcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
      const port = await closed.start();
      await closed.stop();
      const lines: string[] = [];
      const logger = {
        ...(loggerOptions('info') as object),
        stream: { write: (line: string) => lines.push(line) },
      } as FastifyServerOptions['logger'];
      const t = await buildTestApp({
        env: { ...limits, REDIS_URL: `redis://127.0.0.1:${port}` },
        logger,
      });
      try {
        const statuses = [];
        for (let i = 0; i < 5; i += 1) {
          statuses.push((await loginFrom(t, '192.0.2.40', newAccount().email)).statusCode);
        }
        expect(statuses).toEqual([401, 401, 401, 401, 429]);
        const response = await ready(t);
        expect(response.statusCode).toBe(200);
        expect(json(response).checks.redis.status).toBe('degraded');
        await until(async () => lines.some((l) => l.includes('counted per process')));
      } finally {
        await t.close();
      }
    });
  });
});
