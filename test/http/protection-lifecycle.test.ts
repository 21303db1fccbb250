import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, json, post, type TestApp } from '../helpers/app.js';
import { auditRows } from '../helpers/audit.js';
import { eventsOf, lastMail, registerUser, verificationSecrets } from '../helpers/lifecycle.js';
import { expectProblem } from '../helpers/problem.js';

/**
 * Where protection (#5) meets the account lifecycle (#4): a lockout is announced as an event
 * and a mail, refresh-token reuse as `user.session_compromised`, lifecycle actions are audited,
 * and the verification and reset endpoints are rate limited.
 */
describe('protection × lifecycle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { MAX_FAILED_LOGIN_ATTEMPTS: '3' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('locking a real account emits user.locked and mails the owner', async () => {
    const { account, user } = await registerUser(t.app);
    for (let i = 0; i < 3; i += 1) {
      const wrong = await post(t.app, '/auth/login', {
        identifier: account.email,
        password: 'not-the-password-1',
      });
      expectProblem(wrong, 401, 'invalid_credentials');
    }
    await t.deliver();
    const [locked] = eventsOf(t, 'user.locked', user.id);
    expect(locked?.data).toMatchObject({ id: user.id, reason: 'too_many_failed_attempts' });
    expect(JSON.stringify(locked)).not.toContain('not-the-password-1');
    const mail = await lastMail(t, account.email, /locked/i);
    expect(mail.text).toMatch(/locked for \d+ minutes/);
  });

  it('locking an unknown identifier announces nothing', async () => {
    const before = t.events.length;
    for (let i = 0; i < 3; i += 1) {
      await post(t.app, '/auth/login', { identifier: 'ghost-user-x', password: 'whatever-123' });
    }
    await t.deliver();
    expect(t.events.slice(before).filter((e) => e.type === 'user.locked')).toHaveLength(0);
  });

  it('refresh-token reuse emits user.session_compromised', async () => {
    const { account, user } = await registerUser(t.app);
    const login = json(
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
    );
    expect(
      (await post(t.app, '/auth/refresh', { refresh_token: login.refresh_token })).statusCode,
    ).toBe(200);
    const replay = await post(t.app, '/auth/refresh', { refresh_token: login.refresh_token });
    expectProblem(replay, 401, 'invalid_token');
    await t.deliver();
    const [event] = eventsOf(t, 'user.session_compromised', user.id);
    expect(event?.data).toMatchObject({ id: user.id, reason: 'refresh_token_reuse' });
  });

  it('audits verification, password change, reset and deletion', async () => {
    const { account, user } = await registerUser(t.app);
    const { code } = await verificationSecrets(t, account.email);
    const confirmed = await post(t.app, '/auth/verify-email/confirm', {
      email: account.email,
      code,
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);

    const login = json(
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
    );
    const changed = `${account.password}-changed`;
    const change = await post(
      t.app,
      '/users/me/password',
      { current_password: account.password, new_password: changed },
      login.access_token,
    );
    expect(change.statusCode, change.body).toBe(204);

    expect((await post(t.app, '/auth/password/forgot', { email: account.email })).statusCode).toBe(
      202,
    );
    const reset = await lastMail(t, account.email, /reset/i);
    const resetCode = /Your code: (\d{6})/.exec(reset.text)?.[1];
    const finalPassword = `${account.password}-reset`;
    const done = await post(t.app, '/auth/password/reset', {
      email: account.email,
      code: resetCode,
      new_password: finalPassword,
    });
    expect(done.statusCode, done.body).toBe(204);

    const again = json(
      await post(t.app, '/auth/login', { identifier: account.email, password: finalPassword }),
    );
    const removed = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${again.access_token}` },
      payload: { password: finalPassword },
    });
    expect(removed.statusCode, removed.body).toBe(204);

    const types = (await auditRows(t, user.id)).map((row) => row.type);
    for (const type of [
      'email.verified',
      'password.changed',
      'password.reset_requested',
      'password.reset_completed',
      'user.deleted',
    ]) {
      expect(types).toContain(type);
    }
    const rows = JSON.stringify(await auditRows(t, user.id));
    for (const secret of [account.password, changed, finalPassword, code, resetCode!]) {
      expect(rows).not.toContain(secret);
    }
  });
});

describe('rate limits on verification and reset', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_EMAIL_PER_IP: '3/1m',
        RATE_LIMIT_EMAIL_PER_IDENTIFIER: '0',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('password/forgot answers 429 with Retry-After past the per-IP limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await post(t.app, '/auth/password/forgot', { email: `x${i}@example.com` });
      statuses.push(response.statusCode);
      if (response.statusCode === 429) {
        expectProblem(response, 429, 'rate_limited');
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});
