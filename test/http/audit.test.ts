import type { FastifyServerOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/app.js';
import { buildTestApp, get, json, newAccount, post, type TestApp } from '../helpers/app.js';
import { auditRows, wholeAuditTable } from '../helpers/audit.js';
import { refresh } from '../helpers/http.js';
import { expectProblem } from '../helpers/problem.js';

const DAY = 86_400_000;

/** @see issue #5 — append-only audit log, its API and retention. */
describe('audit log', () => {
  let t: TestApp;
  const logLines: string[] = [];
  beforeAll(async () => {
    const logger = {
      ...(loggerOptions('trace') as object),
      stream: { write: (line: string) => logLines.push(line) },
    } as FastifyServerOptions['logger'];
    t = await buildTestApp({
      env: { MAX_FAILED_LOGIN_ATTEMPTS: '3', AUDIT_RETENTION_DAYS: '30', LOG_LEVEL: 'trace' },
      logger,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const client = { 'user-agent': 'AuditTest/1.0' };
  const call = (
    method: 'POST' | 'GET' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
    token?: string,
  ) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      remoteAddress: '198.51.100.7',
      headers: { ...client, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(payload ? { payload } : {}),
    });

  it('every audited action leaves its row, and no secret is in the table or the logs', async () => {
    const account = newAccount();
    const secrets: string[] = [account.password];
    const registered = await call('POST', '/auth/register', account);
    expect(registered.statusCode).toBe(201);
    const userId = json(registered).user.id as string;

    const failed = await call('POST', '/auth/login', {
      identifier: account.email,
      password: 'Wrong-Password-Typed-1',
    });
    expect(failed.statusCode).toBe(401);
    secrets.push('Wrong-Password-Typed-1');

    const first = json(
      await call('POST', '/auth/login', { identifier: account.email, password: account.password }),
    );
    const second = json(
      await call('POST', '/auth/login', {
        identifier: account.username,
        password: account.password,
      }),
    );
    secrets.push(
      first.access_token,
      first.refresh_token,
      second.access_token,
      second.refresh_token,
    );

    expect(
      (await call('PATCH', '/users/me', { full_name: 'Audited Person' }, first.access_token))
        .statusCode,
    ).toBe(200);

    const rotated = await refresh(t.app, first.refresh_token);
    expect(rotated.statusCode).toBe(200);
    secrets.push(json(rotated).refresh_token, json(rotated).access_token);
    // Reuse of the spent token: the first session is revoked as compromised.
    expect((await refresh(t.app, first.refresh_token)).statusCode).toBe(401);

    const third = json(
      await call('POST', '/auth/login', { identifier: account.email, password: account.password }),
    );
    secrets.push(third.access_token, third.refresh_token);
    const sessions = json(
      await call('GET', '/users/me/sessions', undefined, third.access_token),
    ).items;
    const secondId = sessions.find((s: { current: boolean }) => !s.current).id;
    expect(
      (await call('DELETE', `/users/me/sessions/${secondId}`, undefined, third.access_token))
        .statusCode,
    ).toBe(204);

    const fourth = json(
      await call('POST', '/auth/login', { identifier: account.email, password: account.password }),
    );
    secrets.push(fourth.access_token, fourth.refresh_token);
    expect((await call('POST', '/auth/logout', undefined, fourth.access_token)).statusCode).toBe(
      204,
    );
    expect((await call('POST', '/auth/logout-all', undefined, third.access_token)).statusCode).toBe(
      204,
    );

    // Lockout: 3 failures on the username lock it.
    for (let i = 0; i < 3; i += 1) {
      await call('POST', '/auth/login', {
        identifier: account.username,
        password: `Guess-${i}-Secret`,
      });
      secrets.push(`Guess-${i}-Secret`);
    }

    const rows = await auditRows(t, userId);
    const types = rows.map((r) => r.type);
    expect(types).toEqual([
      'user.created',
      'auth.login_failed',
      'auth.login_success',
      'auth.login_success',
      'user.updated',
      'auth.refresh_reuse_detected',
      'auth.login_success',
      'session.revoked',
      'auth.login_success',
      'auth.logout',
      'auth.logout_all',
      'auth.login_failed',
      'auth.login_failed',
      'auth.login_failed',
      'user.locked',
    ]);
    for (const row of rows) {
      expect(row.subject_user_id).toBe(userId);
      expect(['success', 'failure']).toContain(row.outcome);
      expect(typeof row.request_id).toBe('string');
    }
    const byType = (type: string) => rows.find((r) => r.type === type)!;
    expect(byType('user.created')).toMatchObject({
      ip: '198.51.100.7',
      user_agent: 'AuditTest/1.0',
      outcome: 'success',
    });
    expect(byType('user.created').request_id).toBe(registered.headers['x-request-id']);
    expect(byType('auth.login_failed')).toMatchObject({
      outcome: 'failure',
      actor_user_id: null,
      detail: { reason: 'invalid_password' },
    });
    expect(byType('user.updated').detail).toEqual({ fields: ['full_name'] });
    expect(byType('session.revoked').detail).toEqual({
      session_id: secondId,
      reason: 'user_revoked',
    });
    expect(byType('user.locked').detail).toMatchObject({
      reason: 'too_many_failed_attempts',
      failed_attempts: 3,
    });

    const table = await wholeAuditTable(t);
    const logs = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(20);
    expect(logs).toContain('request_id');
    for (const secret of secrets) {
      expect(table).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    for (const text of [table, logs]) {
      expect(text).not.toContain('$argon2');
      expect(text).not.toMatch(/password"\s*:/i);
    }
  });

  it('every log line of a request carries its request id', async () => {
    logLines.length = 0;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-request-id': 'trace-me-123' },
      payload: { identifier: 'nobody@example.com', password: 'whatever-123' },
    });
    expect(json(response).request_id).toBe('trace-me-123');
    const lines = logLines.map((l) => JSON.parse(l)).filter((l) => l.req || l.res);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.request_id).toBe('trace-me-123');
  });

  it('GET /users/me/audit-events pages through your own history with a cursor', async () => {
    const account = newAccount();
    await post(t.app, '/auth/register', account);
    const other = newAccount();
    await post(t.app, '/auth/register', other);
    await post(t.app, '/auth/login', { identifier: other.email, password: other.password });
    for (let i = 0; i < 4; i += 1) {
      t.clock.advance(1_000);
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password });
    }
    const token = json(
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
    ).access_token;

    const seen: { id: string; type: string; occurred_at: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(
        t.app,
        `/users/me/audit-events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        token,
      );
      expect(response.statusCode, response.body).toBe(200);
      const body = json(response);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items);
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    // user.created + 5 logins, newest first, no duplicates, none of the other user's.
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((e) => e.id)).size).toBe(6);
    expect(seen.map((e) => e.type)).toEqual([
      ...Array(5).fill('auth.login_success'),
      'user.created',
    ]);
    const times = seen.map((e) => Date.parse(e.occurred_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(pages).toBe(3);

    expectProblem(
      await get(t.app, '/users/me/audit-events?cursor=garbage', token),
      422,
      'validation_failed',
    );
    expectProblem(
      await get(t.app, '/users/me/audit-events?limit=1000', token),
      422,
      'validation_failed',
    );
    expectProblem(await get(t.app, '/users/me/audit-events'), 401, 'unauthorized');
  });

  it('pruning deletes events past AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const old = newAccount();
    const oldId = json(await post(t.app, '/auth/register', old)).user.id;
    t.clock.advance(20 * DAY);
    const recent = newAccount();
    const recentId = json(await post(t.app, '/auth/register', recent)).user.id;
    t.clock.advance(11 * DAY);
    expect(await t.gatehouse.pruneAuditEvents()).toBeGreaterThanOrEqual(1);
    expect(await auditRows(t, oldId)).toHaveLength(0);
    expect((await auditRows(t, recentId)).map((r) => r.type)).toEqual(['user.created']);
    expect(await t.gatehouse.pruneAuditEvents()).toBe(0);
  });
});
