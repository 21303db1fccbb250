import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/modules/mfa/totp.js';
import { buildTestApp, get, json, post, registerAndLogin, type TestApp } from '../helpers/app.js';
import { auditRows } from '../helpers/audit.js';
import { meStatus, rowsOf } from '../helpers/http.js';
import { eventsOf, lastMail } from '../helpers/lifecycle.js';
import { secretsOf } from '../helpers/mailbox.js';
import { expectProblem } from '../helpers/problem.js';

const KEY = 'mfa-suite-key-encryption-key-0123456789abcdef';
const STEP_MS = 30_000;

function claimsOf(accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));
}

/** An account with MFA enabled: its secret, backup codes and a (pre-MFA) access token. */
async function enrolled(t: TestApp) {
  const { account, user, accessToken } = await registerAndLogin(t.app);
  const setup = await post(t.app, '/mfa/setup', {}, accessToken);
  expect(setup.statusCode, setup.body).toBe(200);
  const { secret } = json(setup);
  const verify = await post(t.app, '/mfa/verify', { code: now(t, secret) }, accessToken);
  expect(verify.statusCode, verify.body).toBe(200);
  const backupCodes = json(verify).backup_codes as string[];
  // The enrolment code's step is spent: later codes come from the next step.
  t.clock.advance(STEP_MS);
  return { account, user, accessToken, secret, backupCodes };
}

function now(t: TestApp, secret: string): string {
  return totpCode(secret, t.clock.now());
}

async function challenge(t: TestApp, identifier: string, password: string): Promise<string> {
  const response = await post(t.app, '/auth/login', { identifier, password });
  expect(response.statusCode, response.body).toBe(200);
  const body = json(response);
  expect(body).toEqual({
    mfa_required: true,
    challenge_token: expect.any(String),
    methods: ['totp', 'backup_code'],
  });
  expect(body.access_token).toBeUndefined();
  return body.challenge_token;
}

/**
 * @see issue #6 — TOTP enrolment, backup codes and the login challenge. Codes are real TOTP
 * codes of the test clock's time; the clock moves one 30-second step between codes, since a
 * step's code is accepted once.
 */
describe('MFA', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      env: { KEY_ENCRYPTION_KEY: KEY, MAX_FAILED_LOGIN_ATTEMPTS: '20', MFA_ISSUER: 'Acme ID' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('setup answers a secret, an otpauth URL and a PNG QR code; setup again replaces it', async () => {
    const { account, accessToken } = await registerAndLogin(t.app);
    const first = json(await post(t.app, '/mfa/setup', {}, accessToken));
    expect(first.secret).toMatch(/^[A-Z2-7]+$/);
    expect(first.otpauth_url).toMatch(/^otpauth:\/\/totp\/Acme%20ID:/);
    expect(first.otpauth_url).toContain(encodeURIComponent(account.email));
    expect(first.otpauth_url).toContain(`secret=${first.secret}`);
    const prefix = 'data:image/png;base64,';
    expect(first.qr_code.startsWith(prefix)).toBe(true);
    const png = Buffer.from(first.qr_code.slice(prefix.length), 'base64');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const second = json(await post(t.app, '/mfa/setup', {}, accessToken));
    expect(second.secret).not.toBe(first.secret);
    // The replaced secret no longer enrols.
    expectProblem(
      await post(t.app, '/mfa/verify', { code: now(t, first.secret) }, accessToken),
      422,
      'validation_failed',
    );
    // Still pending: password login gives tokens directly.
    const login = json(
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
    );
    expect(login.access_token).toEqual(expect.any(String));
  });

  it('stores the TOTP secret sealed, never in plain text', async () => {
    const { user, secret } = await enrolled(t);
    const rows = rowsOf<{ secret: string; enabled_at: unknown }>(
      await t.gatehouse.database.db.execute(
        sql`SELECT secret, enabled_at FROM mfa_factors WHERE user_id = ${user.id}`,
      ),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.enabled_at).not.toBeNull();
    expect(rows[0]!.secret).not.toContain(secret);
    expect(rows[0]!.secret.startsWith('v1.')).toBe(true);
    const codes = rowsOf<{ code_hash: string }>(
      await t.gatehouse.database.db.execute(
        sql`SELECT code_hash FROM backup_codes WHERE user_id = ${user.id}`,
      ),
    );
    expect(codes).toHaveLength(10);
  });

  it('enrol → login challenge → tokens with amr pwd+otp; audit, events and mails', async () => {
    const { account, user, accessToken, secret, backupCodes } = await enrolled(t);
    expect(backupCodes).toHaveLength(10);
    for (const code of backupCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    expectProblem(await post(t.app, '/mfa/setup', {}, accessToken), 409, 'conflict');

    const token = await challenge(t, account.email, account.password);
    const done = await post(t.app, '/auth/login/mfa', {
      challenge_token: token,
      code: totpCode(secret, t.clock.now()),
    });
    expect(done.statusCode, done.body).toBe(200);
    const body = json(done);
    expect(body.user.id).toBe(user.id);
    expect(claimsOf(body.access_token).amr).toEqual(['pwd', 'otp']);
    expect(await meStatus(t.app, body.access_token)).toBe(200);

    await t.deliver();
    expect(eventsOf(t, 'user.mfa_enabled', user.id)).toHaveLength(1);
    expect(eventsOf(t, 'user.mfa_enabled', user.id)[0]!.data).toEqual({ id: user.id });
    await lastMail(t, account.email, /Two-step verification was turned on/);
    const types = (await auditRows(t, user.id)).map((r) => r.type);
    expect(types).toContain('mfa.enabled');
  });

  it('refuses wrong, expired and reused TOTP codes', async () => {
    const { account, secret } = await enrolled(t);
    const token = await challenge(t, account.email, account.password);
    const wrong = String((Number(now(t, secret)) + 1) % 1_000_000).padStart(6, '0');
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: token, code: wrong }),
      401,
      'invalid_credentials',
    );
    // A code from three steps ago is outside the ±1 window.
    const stale = totpCode(secret, new Date(t.clock.now().getTime() - 3 * STEP_MS));
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: token, code: stale }),
      401,
      'invalid_credentials',
    );
    const code = now(t, secret);
    const ok = await post(t.app, '/auth/login/mfa', { challenge_token: token, code });
    expect(ok.statusCode, ok.body).toBe(200);
    // The same code again, on a fresh challenge within its window: refused.
    const again = await challenge(t, account.email, account.password);
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: again, code }),
      401,
      'invalid_credentials',
    );
    // A code of a later step passes.
    t.clock.advance(STEP_MS);
    const later = await post(t.app, '/auth/login/mfa', {
      challenge_token: again,
      code: now(t, secret),
    });
    expect(later.statusCode, later.body).toBe(200);
  });

  it('a backup code works once, counts down remaining, amr pwd+mfa', async () => {
    const { account, accessToken, backupCodes } = await enrolled(t);
    expect(json(await get(t.app, '/mfa/backup-codes', accessToken))).toEqual({ remaining: 10 });
    const token = await challenge(t, account.email, account.password);
    const done = await post(t.app, '/auth/login/mfa', {
      challenge_token: token,
      code: backupCodes[0]!.toUpperCase(),
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(claimsOf(json(done).access_token).amr).toEqual(['pwd', 'mfa']);
    expect(json(await get(t.app, '/mfa/backup-codes', accessToken))).toEqual({ remaining: 9 });

    const again = await challenge(t, account.email, account.password);
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: again, code: backupCodes[0] }),
      401,
      'invalid_credentials',
    );
  });

  it('regenerating backup codes needs a TOTP code and voids the old set', async () => {
    const { account, accessToken, secret, backupCodes } = await enrolled(t);
    expectProblem(
      await post(t.app, '/mfa/backup-codes', { code: backupCodes[0] }, accessToken),
      422,
      'validation_failed',
    );
    const regenerated = await post(
      t.app,
      '/mfa/backup-codes',
      { code: now(t, secret) },
      accessToken,
    );
    expect(regenerated.statusCode, regenerated.body).toBe(200);
    const fresh = json(regenerated).backup_codes as string[];
    expect(fresh).toHaveLength(10);
    expect(json(await get(t.app, '/mfa/backup-codes', accessToken))).toEqual({ remaining: 10 });
    const token = await challenge(t, account.email, account.password);
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: token, code: backupCodes[1] }),
      401,
      'invalid_credentials',
    );
    const ok = await post(t.app, '/auth/login/mfa', { challenge_token: token, code: fresh[1] });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('a challenge is single-use and expires after 5 minutes', async () => {
    const { account, secret } = await enrolled(t);
    const token = await challenge(t, account.email, account.password);
    const ok = await post(t.app, '/auth/login/mfa', {
      challenge_token: token,
      code: now(t, secret),
    });
    expect(ok.statusCode, ok.body).toBe(200);
    t.clock.advance(STEP_MS);
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: token, code: now(t, secret) }),
      401,
      'invalid_token',
    );

    const expiring = await challenge(t, account.email, account.password);
    t.clock.advance(5 * 60_000 + 1_000);
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: expiring, code: now(t, secret) }),
      401,
      'invalid_token',
    );
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: 'made-up', code: '123456' }),
      401,
      'invalid_token',
    );
  });

  it('5 wrong codes kill the challenge', async () => {
    const { account, user, secret } = await enrolled(t);
    const token = await challenge(t, account.email, account.password);
    for (let i = 0; i < 5; i += 1) {
      expectProblem(
        await post(t.app, '/auth/login/mfa', { challenge_token: token, code: '000000' }),
        401,
        'invalid_credentials',
      );
    }
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: token, code: now(t, secret) }),
      401,
      'invalid_token',
    );
    const failed = (await auditRows(t, user.id)).filter((r) => r.type === 'mfa.failed');
    expect(failed).toHaveLength(5);
  });

  it('disable needs the password and a code; audits, announces, mails, ends other sessions', async () => {
    const { account, user, accessToken, secret, backupCodes } = await enrolled(t);
    const other = json(
      await post(t.app, '/auth/login/mfa', {
        challenge_token: await challenge(t, account.email, account.password),
        code: backupCodes[0],
      }),
    ).access_token as string;
    expectProblem(
      await post(
        t.app,
        '/mfa/disable',
        { password: 'Wrong-Password-1', code: now(t, secret) },
        accessToken,
      ),
      401,
      'invalid_credentials',
    );
    expectProblem(
      await post(
        t.app,
        '/mfa/disable',
        { password: account.password, code: '000000' },
        accessToken,
      ),
      401,
      'invalid_credentials',
    );
    const disabled = await post(
      t.app,
      '/mfa/disable',
      { password: account.password, code: backupCodes[1], end_other_sessions: true },
      accessToken,
    );
    expect(disabled.statusCode, disabled.body).toBe(204);
    expect(await meStatus(t.app, other)).toBe(401);
    expect(await meStatus(t.app, accessToken)).toBe(200);
    expectProblem(await get(t.app, '/mfa/backup-codes', accessToken), 409, 'conflict');

    const login = json(
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
    );
    expect(claimsOf(login.access_token).amr).toEqual(['pwd']);

    await t.deliver();
    expect(eventsOf(t, 'user.mfa_disabled', user.id)).toHaveLength(1);
    await lastMail(t, account.email, /Two-step verification was turned off/);
    expect((await auditRows(t, user.id)).map((r) => r.type)).toContain('mfa.disabled');
  });

  it('password reset keeps MFA on: the next login still asks for the second factor', async () => {
    const { account, secret } = await enrolled(t);
    await post(t.app, '/auth/password/forgot', { email: account.email });
    const { code } = secretsOf(await lastMail(t, account.email, /Reset your password/));
    const newPassword = 'Quiet-Meadow-Reset-Lantern-42';
    const reset = await post(t.app, '/auth/password/reset', {
      email: account.email,
      code,
      new_password: newPassword,
    });
    expect(reset.statusCode, reset.body).toBe(204);
    const token = await challenge(t, account.email, newPassword);
    const ok = await post(t.app, '/auth/login/mfa', {
      challenge_token: token,
      code: now(t, secret),
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('MFA lockout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      env: { KEY_ENCRYPTION_KEY: KEY, MAX_FAILED_LOGIN_ATTEMPTS: '3' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('wrong second-factor codes count toward the identifier lockout', async () => {
    const { account, secret } = await enrolled(t);
    const token = await challenge(t, account.email, account.password);
    for (let i = 0; i < 3; i += 1) {
      expectProblem(
        await post(t.app, '/auth/login/mfa', { challenge_token: token, code: '000000' }),
        401,
        'invalid_credentials',
      );
    }
    expectProblem(
      await post(t.app, '/auth/login/mfa', { challenge_token: token, code: now(t, secret) }),
      423,
      'account_locked',
    );
    expectProblem(
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
      423,
      'account_locked',
    );
  });

  it.runIf(process.env.GATEHOUSE_TEST_DB === 'postgres')(
    'without KEY_ENCRYPTION_KEY on PostgreSQL, setup answers 503',
    async () => {
      const plain = await buildTestApp({});
      try {
        const { accessToken } = await registerAndLogin(plain.app);
        expectProblem(
          await post(plain.app, '/mfa/setup', {}, accessToken),
          503,
          'service_unavailable',
        );
      } finally {
        await plain.close();
      }
    },
  );
});
