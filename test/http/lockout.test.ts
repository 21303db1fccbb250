import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, newAccount, post, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/problem.js';
import { auditRows } from '../helpers/audit.js';

const MINUTE = 60_000;

/** @see issue #5 — lockout after MAX_FAILED_LOGIN_ATTEMPTS per normalized identifier. */
describe('failed-login lockout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      env: { MAX_FAILED_LOGIN_ATTEMPTS: '5', LOCKOUT_DURATION_MINUTES: '30' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function register() {
    const account = newAccount();
    const response = await post(t.app, '/auth/register', account);
    expect(response.statusCode, response.body).toBe(201);
    return { account, userId: JSON.parse(response.body).user.id as string };
  }
  const login = (identifier: string, password: string) =>
    post(t.app, '/auth/login', { identifier, password });

  it('5 wrong passwords → 423 on the 6th even with the right password; works again after the lockout', async () => {
    const { account } = await register();
    for (let i = 0; i < 5; i += 1) {
      expectProblem(await login(account.email, 'wrong-password-123'), 401, 'invalid_credentials');
    }
    const locked = await login(account.email, account.password);
    const body = expectProblem(locked, 423, 'account_locked');
    expect(body.detail).not.toContain(account.email);
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(29 * 60);
    expect(retryAfter).toBeLessThanOrEqual(30 * 60);

    t.clock.advance(29 * MINUTE);
    const stillLocked = await login(account.email, account.password);
    expectProblem(stillLocked, 423, 'account_locked');
    expect(Number(stillLocked.headers['retry-after'])).toBeLessThanOrEqual(60);

    t.clock.advance(MINUTE + 1_000);
    const ok = await login(account.email, account.password);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('an unknown identifier shows exactly the same status sequence', async () => {
    const known = await register();
    const unknown = newAccount();
    const sequence = async (identifier: string, right: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1)
        statuses.push((await login(identifier, 'nope-nope-nope')).statusCode);
      const sixth = await login(identifier, right);
      statuses.push(sixth.statusCode);
      return { statuses, retryAfter: sixth.headers['retry-after'], body: JSON.parse(sixth.body) };
    };
    const a = await sequence(known.account.email, known.account.password);
    const b = await sequence(unknown.email, unknown.password);
    expect(a.statuses).toEqual([401, 401, 401, 401, 401, 423]);
    expect(b.statuses).toEqual(a.statuses);
    expect(b.retryAfter).toBe(a.retryAfter);
    const strip = (p: Record<string, unknown>) => ({ ...p, request_id: undefined });
    expect(strip(b.body)).toEqual(strip(a.body));
  });

  it('counts per normalized identifier: case and fullwidth variants share the count', async () => {
    const { account } = await register();
    const variants = [
      account.email.toUpperCase(),
      ` ${account.email} `,
      account.email,
      account.email.replace('@', '＠'),
      account.email.toLowerCase(),
    ];
    for (const variant of variants) {
      expectProblem(await login(variant, 'wrong-password-123'), 401, 'invalid_credentials');
    }
    expectProblem(await login(account.email, account.password), 423, 'account_locked');
    // The username is another identifier with its own count (per identifier, not per user).
    expect((await login(account.username, account.password)).statusCode).toBe(200);
  });

  it('a successful login resets the count', async () => {
    const { account } = await register();
    for (let i = 0; i < 4; i += 1) await login(account.username, 'wrong-password-123');
    expect((await login(account.username, account.password)).statusCode).toBe(200);
    for (let i = 0; i < 4; i += 1) {
      expectProblem(
        await login(account.username, 'wrong-password-123'),
        401,
        'invalid_credentials',
      );
    }
    expect((await login(account.username, account.password)).statusCode).toBe(200);
  });

  it('failures older than the lockout window start a new count', async () => {
    const { account } = await register();
    for (let i = 0; i < 4; i += 1) await login(account.username, 'wrong-password-123');
    t.clock.advance(31 * MINUTE);
    for (let i = 0; i < 4; i += 1) await login(account.username, 'wrong-password-123');
    expect((await login(account.username, account.password)).statusCode).toBe(200);
  });

  it('concurrent failures lock once and audit user.locked once, never a password', async () => {
    const { account, userId } = await register();
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => login(account.email, 'wrong-password-123')),
    );
    for (const r of responses) expect([401, 423]).toContain(r.statusCode);
    expect(responses.filter((r) => r.statusCode === 401).length).toBeGreaterThanOrEqual(5);
    expectProblem(await login(account.email, account.password), 423, 'account_locked');
    const rows = await auditRows(t, userId);
    const locked = rows.filter((r) => r.type === 'user.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]!.detail).toMatchObject({
      reason: 'too_many_failed_attempts',
      failed_attempts: 5,
    });
    expect(rows.filter((r) => r.type === 'auth.login_failed').length).toBe(13);
    expect(JSON.stringify(rows)).not.toContain('wrong-password-123');
  });

  it('a locked identifier is not hashed again: 423 answers without counting more failures', async () => {
    const { account } = await register();
    for (let i = 0; i < 5; i += 1) await login(account.email, 'wrong-password-123');
    for (let i = 0; i < 10; i += 1) {
      expectProblem(await login(account.email, 'wrong-password-123'), 423, 'account_locked');
    }
    // The lock was not extended by the attempts made while locked.
    t.clock.advance(30 * MINUTE + 1_000);
    expect((await login(account.email, account.password)).statusCode).toBe(200);
  });

  it('the signin alias and the OAuth2 form are locked too', async () => {
    const { account } = await register();
    for (let i = 0; i < 5; i += 1) {
      await post(t.app, '/auth/signin', { username: account.username, password: 'x-wrong-pass-1' });
    }
    const form = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'password',
        username: account.username,
        password: account.password,
      }).toString(),
    });
    expectProblem(form, 423, 'account_locked');
  });
});
