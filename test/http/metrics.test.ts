import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  json,
  newAccount,
  post,
  registerAndLogin,
  type TestApp,
} from '../helpers/app.js';
import { refresh } from '../helpers/http.js';
import { expectProblem } from '../helpers/problem.js';
import { parseExposition, valueOf, type Family } from '../helpers/prometheus.js';

/** Every figure issue #8 names, by its Prometheus name and type. */
const EXPECTED: Record<string, Family['type']> = {
  gatehouse_http_request_duration_seconds: 'histogram',
  gatehouse_http_requests_in_flight: 'gauge',
  gatehouse_registrations_total: 'counter',
  gatehouse_logins_total: 'counter',
  gatehouse_token_refreshes_total: 'counter',
  gatehouse_refresh_token_reuse_detections_total: 'counter',
  gatehouse_lockouts_total: 'counter',
  gatehouse_mfa_events_total: 'counter',
  gatehouse_mails_sent_total: 'counter',
  gatehouse_mails_failed_total: 'counter',
  gatehouse_outbox_backlog: 'gauge',
  gatehouse_outbox_oldest_pending_age_seconds: 'gauge',
  gatehouse_db_pool_connections_in_use: 'gauge',
  gatehouse_db_pool_waiting_requests: 'gauge',
  // Process defaults.
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
};

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function scrape() {
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: response.body, families: parseExposition(response.body) };
  }

  it('serves every named figure in valid exposition format', async () => {
    const { families } = await scrape();
    for (const [name, type] of Object.entries(EXPECTED)) {
      expect(families.get(name)?.type, name).toBe(type);
    }
  });

  it('counts registrations, logins by outcome, refreshes and reuse, and times requests', async () => {
    const before = (await scrape()).families;
    const count = (families: typeof before, name: string, labels = {}) =>
      valueOf(families, name, labels) ?? 0;

    const session = await registerAndLogin(t.app);
    const wrong = await post(t.app, '/auth/login', {
      identifier: session.account.email,
      password: 'not-the-password-at-all',
    });
    expectProblem(wrong, 401, 'invalid_credentials');
    const unknown = newAccount();
    expectProblem(
      await post(t.app, '/auth/login', { identifier: unknown.email, password: unknown.password }),
      401,
      'invalid_credentials',
    );
    const rotated = await refresh(t.app, session.refreshToken);
    expect(rotated.statusCode).toBe(200);
    expectProblem(await refresh(t.app, session.refreshToken), 401, 'invalid_token');

    const locked = await registerAndLogin(t.app);
    await t.gatehouse.database.db.execute(
      sql`UPDATE users SET status = 'locked' WHERE id = ${locked.user.id}`,
    );
    const refused = await post(t.app, '/auth/login', {
      identifier: locked.account.username,
      password: locked.account.password,
    });
    expectProblem(refused, 423, 'account_locked');

    const { text, families } = await scrape();
    const delta = (name: string, labels = {}) =>
      count(families, name, labels) - count(before, name, labels);
    expect(delta('gatehouse_registrations_total')).toBe(2);
    expect(delta('gatehouse_logins_total', { outcome: 'success' })).toBe(2);
    expect(delta('gatehouse_logins_total', { outcome: 'bad_credentials' })).toBe(2);
    expect(delta('gatehouse_logins_total', { outcome: 'locked' })).toBe(1);
    expect(delta('gatehouse_token_refreshes_total')).toBe(1);
    expect(delta('gatehouse_refresh_token_reuse_detections_total')).toBe(1);

    // Durations by route template and status code.
    const login = { method: 'POST', route: '/api/v1/auth/login' };
    expect(
      delta('gatehouse_http_request_duration_seconds_count', { ...login, status_code: '200' }),
    ).toBe(2);
    expect(
      delta('gatehouse_http_request_duration_seconds_count', { ...login, status_code: '401' }),
    ).toBe(2);
    expect(
      delta('gatehouse_http_request_duration_seconds_count', { ...login, status_code: '423' }),
    ).toBe(1);
    expect(
      count(families, 'gatehouse_http_request_duration_seconds_sum', {
        ...login,
        status_code: '200',
      }),
    ).toBeGreaterThan(0);

    // No user data anywhere in the exposition: no identifiers, ids, tokens.
    for (const secret of [
      session.account.email,
      session.account.username,
      session.user.id,
      session.refreshToken,
      locked.account.email,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('labels unknown paths as unmatched, not by their path', async () => {
    const before = valueOf(
      (await scrape()).families,
      'gatehouse_http_request_duration_seconds_count',
      {
        route: 'unmatched',
        status_code: '404',
      },
    );
    const response = await t.app.inject({ method: 'GET', url: '/no/such/user-4242' });
    expect(response.statusCode).toBe(404);
    const { text, families } = await scrape();
    expect(
      valueOf(families, 'gatehouse_http_request_duration_seconds_count', {
        route: 'unmatched',
        status_code: '404',
      }),
    ).toBe((before ?? 0) + 1);
    expect(text).not.toContain('user-4242');
  });

  it('reports the database pool in use on PostgreSQL', async () => {
    const { families } = await scrape();
    const inUse = valueOf(families, 'gatehouse_db_pool_connections_in_use');
    expect(inUse).toBeGreaterThanOrEqual(0);
    if (t.db.kind === 'postgres') {
      // Three queries held open at once show up while the scrape runs.
      const held = Array.from({ length: 3 }, () =>
        t.gatehouse.database.query('metrics_test_sleep', 'SELECT pg_sleep(0.5)', []),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const during = valueOf((await scrape()).families, 'gatehouse_db_pool_connections_in_use');
      await Promise.all(held);
      expect(during).toBeGreaterThanOrEqual(3);
    }
    expect(json(await t.app.inject({ method: 'GET', url: '/ready' })).status).toBe('ready');
  });
});
