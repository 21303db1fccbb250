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
import { login, meStatus, patch, refresh, rowsOf } from '../helpers/http.js';
import {
  deliveredTo,
  eventsOf,
  lastMail,
  registerUser,
  verificationSecrets,
} from '../helpers/lifecycle.js';
import { secretsOf } from '../helpers/mailbox.js';
import { expectProblem } from '../helpers/problem.js';
import { sql } from 'drizzle-orm';

const KEY = 'test-key-encryption-key-0123456789-abcdef';

/**
 * @see issue #4 — email verification, password reset, own-account changes, each end to end
 * over HTTP with the mail read from the file mailbox and the events from the in-process bus.
 */
describe('account lifecycle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { KEY_ENCRYPTION_KEY: KEY } });
  });
  afterAll(async () => {
    await t.close();
  });

  const del = (url: string, payload: unknown, token: string) =>
    t.app.inject({
      method: 'DELETE',
      url: `/api/v1${url}`,
      payload: payload as object,
      headers: { authorization: `Bearer ${token}` },
    });

  describe('email verification', () => {
    it('register mails a code and a link; the code verifies the address once', async () => {
      const { account, user } = await registerUser(t.app);
      const mail = await lastMail(t, account.email, /Confirm your email address/);
      expect(mail.from).toMatch(/no-reply@gatehouse\.test/);
      expect(mail.html).toContain('Confirm my email address');
      const { code, link } = secretsOf(mail);
      expect(link.startsWith('http://gatehouse.test/api/v1/auth/verify-email?token=')).toBe(true);

      const created = eventsOf(t, 'user.created', user.id);
      expect(created).toHaveLength(1);
      expect(created[0]!.data).toMatchObject({
        id: user.id,
        email: account.email,
        username: account.username,
        email_verified: false,
      });
      expect(JSON.stringify(created[0])).not.toContain(account.password);
      expect(JSON.stringify(created[0])).not.toContain(code);

      const confirmed = await post(t.app, '/auth/verify-email/confirm', {
        email: account.email.toUpperCase(),
        code,
      });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      expect(json(confirmed)).toMatchObject({ email: account.email, email_verified: true });

      const tokens = await login(t.app, account.email, account.password);
      expect(json(await get(t.app, '/users/me', tokens.accessToken)).email_verified).toBe(true);
      const userinfo = json(await get(t.app, '/auth/userinfo', tokens.accessToken));
      expect(userinfo.email_verified).toBe(true);

      await t.deliver();
      const verified = eventsOf(t, 'user.email_verified', user.id);
      expect(verified).toHaveLength(1);
      expect(verified[0]!.data).toEqual({ id: user.id, email: account.email });

      // Reused: single-use.
      const again = await post(t.app, '/auth/verify-email/confirm', { email: account.email, code });
      expectProblem(again, 400, 'invalid_token');
      await t.deliver();
      expect(eventsOf(t, 'user.email_verified', user.id)).toHaveLength(1);
    });

    it('the link (GET) verifies too, as JSON or as a page, and only once', async () => {
      const { account } = await registerUser(t.app);
      const { token, link } = await verificationSecrets(t, account.email);
      const page = await t.app.inject({
        method: 'GET',
        url: new URL(link).pathname + new URL(link).search,
        headers: { accept: 'text/html,application/xhtml+xml' },
      });
      expect(page.statusCode, page.body).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('verified');
      expect(page.headers['cache-control']).toBe('no-store');

      const reused = await get(t.app, `/auth/verify-email?token=${token}`);
      expectProblem(reused, 400, 'invalid_token');

      const { account: other } = await registerUser(t.app);
      const second = await verificationSecrets(t, other.email);
      const asJson = await get(t.app, `/auth/verify-email?token=${second.token}`);
      expect(asJson.statusCode).toBe(200);
      expect(json(asJson)).toMatchObject({ email: other.email, email_verified: true });
    });

    it('confirm by token in the body works; a code and a token together are refused', async () => {
      const { account } = await registerUser(t.app);
      const { token, code } = await verificationSecrets(t, account.email);
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', { token, email: account.email, code }),
        422,
        'validation_failed',
      );
      expectProblem(await post(t.app, '/auth/verify-email/confirm', {}), 422, 'validation_failed');
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', { email: account.email, code: '12345' }),
        422,
        'validation_failed',
      );
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', { email: account.email }),
        422,
        'validation_failed',
      );
      const ok = await post(t.app, '/auth/verify-email/confirm', { token });
      expect(ok.statusCode, ok.body).toBe(200);
    });

    it('an expired code and link are refused', async () => {
      const { account } = await registerUser(t.app);
      const { code, token } = await verificationSecrets(t, account.email);
      t.clock.advance(t.config.lifecycle.codeTtlSeconds * 1000 + 1000);
      try {
        expectProblem(
          await post(t.app, '/auth/verify-email/confirm', { email: account.email, code }),
          400,
          'invalid_token',
        );
        expectProblem(
          await post(t.app, '/auth/verify-email/confirm', { token }),
          400,
          'invalid_token',
        );
      } finally {
        t.clock.advance(-(t.config.lifecycle.codeTtlSeconds * 1000 + 1000));
      }
    });

    it('five wrong codes leave the code usable; the sixth voids it, link included', async () => {
      const wrong = (code: string) => (code === '000000' ? '000001' : '000000');
      const first = await registerUser(t.app);
      const s1 = await verificationSecrets(t, first.account.email);
      for (let i = 0; i < 5; i += 1) {
        expectProblem(
          await post(t.app, '/auth/verify-email/confirm', {
            email: first.account.email,
            code: wrong(s1.code),
          }),
          400,
          'invalid_token',
        );
      }
      const fine = await post(t.app, '/auth/verify-email/confirm', {
        email: first.account.email,
        code: s1.code,
      });
      expect(fine.statusCode, fine.body).toBe(200);

      const second = await registerUser(t.app);
      const s2 = await verificationSecrets(t, second.account.email);
      for (let i = 0; i < 6; i += 1) {
        await post(t.app, '/auth/verify-email/confirm', {
          email: second.account.email,
          code: wrong(s2.code),
        });
      }
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', {
          email: second.account.email,
          code: s2.code,
        }),
        400,
        'invalid_token',
      );
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', { token: s2.token }),
        400,
        'invalid_token',
      );
    });

    it('request: 202 for known and unknown addresses alike; a new code replaces the old', async () => {
      const unknown = await post(t.app, '/auth/verify-email/request', {
        email: 'nobody-here@example.com',
      });
      const { account } = await registerUser(t.app);
      const old = await verificationSecrets(t, account.email);
      const known = await post(t.app, '/auth/verify-email/request', { email: account.email });
      expect(unknown.statusCode).toBe(202);
      expect(known.statusCode).toBe(202);
      expect(known.body).toBe(unknown.body);
      expect(await deliveredTo(t, 'nobody-here@example.com')).toHaveLength(0);

      const fresh = await verificationSecrets(t, account.email);
      expect(fresh.token).not.toBe(old.token);
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', { token: old.token }),
        400,
        'invalid_token',
      );
      const ok = await post(t.app, '/auth/verify-email/confirm', {
        email: account.email,
        code: fresh.code,
      });
      expect(ok.statusCode, ok.body).toBe(200);

      // Verified: a request sends nothing more.
      const before = (await deliveredTo(t, account.email)).length;
      expect(
        (await post(t.app, '/auth/verify-email/request', { email: account.email })).statusCode,
      ).toBe(202);
      expect(await deliveredTo(t, account.email)).toHaveLength(before);
    });

    it('request is limited per address: past the hourly budget no more mail is sent', async () => {
      const { account } = await registerUser(t.app);
      const limit = t.config.lifecycle.mailRequestsPerHour;
      for (let i = 0; i < limit + 2; i += 1) {
        const r = await post(t.app, '/auth/verify-email/request', { email: account.email });
        expect(r.statusCode).toBe(202);
      }
      const mails = await deliveredTo(t, account.email);
      // The registration mail plus `limit` requested ones.
      expect(mails.filter((m) => /Confirm your email/.test(m.subject))).toHaveLength(limit + 1);
      t.clock.advance(3_600_000 + 1000);
      await post(t.app, '/auth/verify-email/request', { email: account.email });
      expect((await deliveredTo(t, account.email)).length).toBe(limit + 2);
    });

    it('bad input is a 422, never a 500', async () => {
      expectProblem(await post(t.app, '/auth/verify-email/request', {}), 422, 'validation_failed');
      expectProblem(
        await post(t.app, '/auth/verify-email/request', { email: 'not-an-email' }),
        422,
        'validation_failed',
      );
      expectProblem(await get(t.app, '/auth/verify-email'), 422, 'validation_failed');
      expectProblem(await get(t.app, '/auth/verify-email?token=nope'), 400, 'invalid_token');
    });
  });

  describe('races', () => {
    it('the same link confirmed concurrently: exactly one wins, one event', async () => {
      const { account, user } = await registerUser(t.app);
      const { token } = await verificationSecrets(t, account.email);
      const results = await Promise.all(
        Array.from({ length: 4 }, () => post(t.app, '/auth/verify-email/confirm', { token })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400, 400, 400]);
      await t.deliver();
      expect(eventsOf(t, 'user.email_verified', user.id)).toHaveLength(1);
    });

    it('the same reset code used concurrently sets one password only', async () => {
      const { account } = await registerUser(t.app);
      await post(t.app, '/auth/password/forgot', { email: account.email });
      const { code } = secretsOf(await lastMail(t, account.email, /Reset your password/));
      const passwords = ['Parallel-Reset-Alpha-101', 'Parallel-Reset-Bravo-202'];
      const results = await Promise.all(
        passwords.map((new_password) =>
          post(t.app, '/auth/password/reset', { email: account.email, code, new_password }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([204, 400]);
      const winner = passwords[results.findIndex((r) => r.statusCode === 204)]!;
      await login(t.app, account.email, winner);
    });
  });

  describe('password reset', () => {
    it('forgot → code → reset ends every session, mails a notice, old password is gone', async () => {
      const { account, user, accessToken, refreshToken } = await registerAndLogin(t.app);
      const second = await login(t.app, account.email, account.password);
      const forgot = await post(t.app, '/auth/password/forgot', { email: account.email });
      expect(forgot.statusCode).toBe(202);
      const mail = await lastMail(t, account.email, /Reset your password/);
      const { code, link } = secretsOf(mail);
      expect(link.startsWith('http://gatehouse.test/reset-password?token=')).toBe(true);

      const newPassword = 'Quiet-Meadow-Reset-Lantern-42';
      const reset = await post(t.app, '/auth/password/reset', {
        email: account.email,
        code,
        new_password: newPassword,
      });
      expect(reset.statusCode, reset.body).toBe(204);

      expect(await meStatus(t.app, accessToken)).toBe(401);
      expect(await meStatus(t.app, second.accessToken)).toBe(401);
      expect((await refresh(t.app, refreshToken)).statusCode).toBe(401);
      expectProblem(
        await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
        401,
        'invalid_credentials',
      );
      await login(t.app, account.email, newPassword);
      // Reset returns no tokens: signing in is a separate step with every factor.
      expect(reset.body).toBe('');

      await lastMail(t, account.email, /Your password was reset/);
      const events = eventsOf(t, 'user.password_reset', user.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toEqual({ id: user.id });

      expectProblem(
        await post(t.app, '/auth/password/reset', {
          email: account.email,
          code,
          new_password: 'Another-Fresh-Password-77',
        }),
        400,
        'invalid_token',
      );
    });

    it('reset by the link token; a weak password is refused and the token stays usable', async () => {
      const { account } = await registerUser(t.app);
      await post(t.app, '/auth/password/forgot', { email: account.email });
      const { token } = secretsOf(await lastMail(t, account.email, /Reset your password/));
      expectProblem(
        await post(t.app, '/auth/password/reset', { token, new_password: 'password' }),
        422,
        'weak_password',
      );
      expectProblem(
        await post(t.app, '/auth/password/reset', { token, new_password: account.email }),
        422,
        'weak_password',
      );
      const ok = await post(t.app, '/auth/password/reset', {
        token,
        new_password: 'Copper-Kettle-Whistle-93',
      });
      expect(ok.statusCode, ok.body).toBe(204);
      expectProblem(
        await post(t.app, '/auth/password/reset', {
          token,
          new_password: 'Copper-Kettle-Whistle-94',
        }),
        400,
        'invalid_token',
      );
    });

    it('a verification code cannot reset a password, nor the other way round', async () => {
      const { account } = await registerUser(t.app);
      const verify = await verificationSecrets(t, account.email);
      expectProblem(
        await post(t.app, '/auth/password/reset', {
          token: verify.token,
          new_password: 'Copper-Kettle-Whistle-95',
        }),
        400,
        'invalid_token',
      );
      await post(t.app, '/auth/password/forgot', { email: account.email });
      const reset = secretsOf(await lastMail(t, account.email, /Reset your password/));
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', { token: reset.token }),
        400,
        'invalid_token',
      );
    });

    it('unknown addresses get the same answer in about the same time, and no mail', async () => {
      const { account } = await registerUser(t.app);
      const timed = async (email: string) => {
        const started = performance.now();
        const response = await post(t.app, '/auth/password/forgot', { email });
        return { response, ms: performance.now() - started };
      };
      const known = await timed(account.email);
      const unknown = await timed('missing-person@example.com');
      expect(unknown.response.statusCode).toBe(202);
      expect(unknown.response.body).toBe(known.response.body);
      expect(known.ms).toBeGreaterThanOrEqual(140);
      expect(unknown.ms).toBeGreaterThanOrEqual(140);
      // Both wait out the same floor; what is left is scheduling noise.
      expect(Math.abs(known.ms - unknown.ms)).toBeLessThan(150);
      expect(await deliveredTo(t, 'missing-person@example.com')).toHaveLength(0);
    });

    it('an expired reset code is refused', async () => {
      const { account } = await registerUser(t.app);
      await post(t.app, '/auth/password/forgot', { email: account.email });
      const { code } = secretsOf(await lastMail(t, account.email, /Reset your password/));
      t.clock.advance(t.config.lifecycle.codeTtlSeconds * 1000 + 1);
      expectProblem(
        await post(t.app, '/auth/password/reset', {
          email: account.email,
          code,
          new_password: 'Copper-Kettle-Whistle-96',
        }),
        400,
        'invalid_token',
      );
    });
  });

  describe('own account', () => {
    it('POST /users/me/password: current password required; other sessions end', async () => {
      const { account, user, accessToken } = await registerAndLogin(t.app);
      const other = await login(t.app, account.email, account.password);
      expectProblem(
        await post(
          t.app,
          '/users/me/password',
          { current_password: 'wrong-password-here', new_password: 'Granite-Orchard-Signal-11' },
          accessToken,
        ),
        401,
        'invalid_credentials',
      );
      expectProblem(
        await post(
          t.app,
          '/users/me/password',
          { current_password: account.password, new_password: '12345678' },
          accessToken,
        ),
        422,
        'weak_password',
      );
      const changed = await post(
        t.app,
        '/users/me/password',
        { current_password: account.password, new_password: 'Granite-Orchard-Signal-11' },
        accessToken,
      );
      expect(changed.statusCode, changed.body).toBe(204);
      expect(await meStatus(t.app, accessToken)).toBe(200);
      expect(await meStatus(t.app, other.accessToken)).toBe(401);
      expect((await refresh(t.app, other.refreshToken)).statusCode).toBe(401);
      await login(t.app, account.email, 'Granite-Orchard-Signal-11');
      await lastMail(t, account.email, /Your password was changed/);
      expect(eventsOf(t, 'user.password_changed', user.id)).toHaveLength(1);
      expect(
        (await post(t.app, '/users/me/password', { current_password: 'x', new_password: 'y' }))
          .statusCode,
      ).toBe(401);
    });

    it('POST /users/me/email: code to the new address, notice to the old, switch on confirmation', async () => {
      const { account, user, accessToken } = await registerAndLogin(t.app);
      const newEmail = newAccount().email;
      expectProblem(
        await post(
          t.app,
          '/users/me/email',
          { new_email: newEmail, password: 'nope-nope' },
          accessToken,
        ),
        401,
        'invalid_credentials',
      );
      expectProblem(
        await post(
          t.app,
          '/users/me/email',
          { new_email: account.email, password: account.password },
          accessToken,
        ),
        422,
        'validation_failed',
      );
      const requested = await post(
        t.app,
        '/users/me/email',
        { new_email: newEmail, password: account.password },
        accessToken,
      );
      expect(requested.statusCode, requested.body).toBe(202);
      const notice = await lastMail(t, account.email, /being changed/);
      expect(notice.text).toContain(newEmail);
      expect(notice.text).not.toMatch(/\d{6}/);
      // Nothing changes before confirmation.
      expect(json(await get(t.app, '/users/me', accessToken)).email).toBe(account.email);

      const { code } = secretsOf(await lastMail(t, newEmail, /Confirm your new email/));
      const confirmed = await post(t.app, '/auth/verify-email/confirm', { email: newEmail, code });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      const me = json(await get(t.app, '/users/me', accessToken));
      expect(me.email).toBe(newEmail);
      expect(me.email_verified).toBe(true);
      await login(t.app, newEmail, account.password);
      expectProblem(
        await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
        401,
        'invalid_credentials',
      );
      await t.deliver();
      const changed = eventsOf(t, 'user.email_changed', user.id);
      expect(changed).toHaveLength(1);
      expect(changed[0]!.data).toEqual({
        id: user.id,
        email: newEmail,
        previous_email: account.email,
      });
      // The old address is free again.
      expect(
        (await post(t.app, '/auth/register', { ...newAccount(), email: account.email })).statusCode,
      ).toBe(201);
    });

    it('email change requests to one address are limited (429 with Retry-After)', async () => {
      const { account, accessToken } = await registerAndLogin(t.app);
      const target = newAccount().email;
      const ask = () =>
        post(
          t.app,
          '/users/me/email',
          { new_email: target, password: account.password },
          accessToken,
        );
      for (let i = 0; i < t.config.lifecycle.mailRequestsPerHour; i += 1) {
        expect((await ask()).statusCode).toBe(202);
      }
      const limited = expectProblem(await ask(), 429, 'rate_limited');
      expect(limited.detail).toContain('retry later');
      expect(Number((await ask()).headers['retry-after'])).toBeGreaterThan(0);
    });

    it('an email change whose address was taken meanwhile answers 409 and changes nothing', async () => {
      const { account, accessToken } = await registerAndLogin(t.app);
      const contested = newAccount().email;
      await post(
        t.app,
        '/users/me/email',
        { new_email: contested, password: account.password },
        accessToken,
      );
      const { code } = secretsOf(await lastMail(t, contested, /Confirm your new email/));
      await registerUser(t.app, { ...newAccount(), email: contested });
      expectProblem(
        await post(t.app, '/auth/verify-email/confirm', { email: contested, code }),
        409,
        'conflict',
      );
      expect(json(await get(t.app, '/users/me', accessToken)).email).toBe(account.email);
    });

    it('DELETE /users/me: password required, sessions end, data erased, names freed', async () => {
      const { account, user, accessToken, refreshToken } = await registerAndLogin(t.app);
      await patch(
        t.app,
        '/users/me',
        { full_name: 'Erase Me', metadata: { city: 'Oslo' } },
        accessToken,
      );
      expectProblem(
        await del('/users/me', { password: 'not-my-password' }, accessToken),
        401,
        'invalid_credentials',
      );
      expectProblem(await del('/users/me', {}, accessToken), 422, 'validation_failed');
      const deleted = await del('/users/me', { password: account.password }, accessToken);
      expect(deleted.statusCode, deleted.body).toBe(204);

      expect(await meStatus(t.app, accessToken)).toBe(401);
      expect((await refresh(t.app, refreshToken)).statusCode).toBe(401);
      expectProblem(
        await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
        401,
        'invalid_credentials',
      );
      const [row] = rowsOf<Record<string, unknown>>(
        await t.gatehouse.database.db.execute(sql`SELECT * FROM users WHERE id = ${user.id}`),
      );
      expect(row).toMatchObject({
        email: null,
        username: null,
        full_name: null,
        password_hash: null,
        status: 'deleted',
        metadata: {},
      });
      const tokens = rowsOf(
        await t.gatehouse.database.db.execute(
          sql`SELECT id FROM one_time_tokens WHERE user_id = ${user.id}`,
        ),
      );
      expect(tokens).toHaveLength(0);

      await t.deliver();
      const events = eventsOf(t, 'user.deleted', user.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toEqual({ id: user.id });
      const again = await post(t.app, '/auth/register', account);
      expect(again.statusCode, again.body).toBe(201);
      expect(json(again).user.id).not.toBe(user.id);
    });
  });

  describe('outbox', () => {
    it('a rolled-back registration (duplicate) writes no event and no mail', async () => {
      const { account } = await registerUser(t.app);
      await t.deliver();
      const before = t.events.length;
      const dup = await post(t.app, '/auth/register', { ...newAccount(), email: account.email });
      expectProblem(dup, 409, 'conflict');
      const dupName = await post(t.app, '/auth/register', {
        ...newAccount(),
        username: account.username,
      });
      expectProblem(dupName, 409, 'conflict');
      const pending = rowsOf(await t.gatehouse.database.db.execute(sql`SELECT id FROM outbox`));
      expect(pending).toHaveLength(0);
      await t.deliver();
      expect(t.events.length).toBe(before);
      expect(await deliveredTo(t, account.email)).toHaveLength(1);
    });

    it('PATCH /users/me emits user.updated with what changed; a refused change emits nothing', async () => {
      const { user, accessToken } = await registerAndLogin(t.app);
      const taken = (await registerUser(t.app)).account.username;
      const ok = await patch(t.app, '/users/me', { full_name: 'New Name' }, accessToken);
      expect(ok.statusCode).toBe(200);
      expectProblem(
        await patch(t.app, '/users/me', { username: taken }, accessToken),
        409,
        'conflict',
      );
      await t.deliver();
      const updates = eventsOf(t, 'user.updated', user.id);
      expect(updates).toHaveLength(1);
      expect(updates[0]!.data).toMatchObject({
        id: user.id,
        full_name: 'New Name',
        changed: ['full_name'],
      });
    });

    it('a replayed refresh token announces user.session_compromised once', async () => {
      const { user, refreshToken } = await registerAndLogin(t.app);
      expect((await refresh(t.app, refreshToken)).statusCode).toBe(200);
      expectProblem(await refresh(t.app, refreshToken), 401, 'invalid_token');
      expectProblem(await refresh(t.app, refreshToken), 401, 'invalid_token');
      await t.deliver();
      const events = eventsOf(t, 'user.session_compromised', user.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toEqual({
        id: user.id,
        session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        reason: 'refresh_token_reuse',
      });
    });

    it('events are CloudEvents 1.0 with a stable id, source, time and the user as subject', async () => {
      const { user } = await registerUser(t.app);
      await t.deliver();
      const [event] = eventsOf(t, 'user.created', user.id);
      expect(event).toMatchObject({
        specversion: '1.0',
        type: 'user.created',
        source: 'http://gatehouse.test',
        subject: user.id,
        datacontenttype: 'application/json',
      });
      expect(event!.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number.isNaN(Date.parse(event!.time))).toBe(false);
    });

    it('codes and tokens are stored as hashes; queued mail is sealed and gone once sent', async () => {
      const { account, user } = await registerUser(t.app);
      const queued = rowsOf<{ payload: unknown }>(
        await t.gatehouse.database.db.execute(
          sql`SELECT payload FROM outbox WHERE kind = 'mail' AND subject = ${user.id}`,
        ),
      );
      expect(queued).toHaveLength(1);
      const { code, token } = await verificationSecrets(t, account.email);
      expect(JSON.stringify(queued)).not.toContain(code);
      expect(JSON.stringify(queued)).not.toContain(token);
      expect(JSON.stringify(queued)).not.toContain(account.email);
      const stored = rowsOf(
        await t.gatehouse.database.db.execute(
          sql`SELECT * FROM one_time_tokens WHERE user_id = ${user.id}`,
        ),
      );
      expect(stored).toHaveLength(1);
      expect(JSON.stringify(stored)).not.toContain(token);
      expect(JSON.stringify(stored)).not.toContain(`"${code}"`);
      expect(
        rowsOf(await t.gatehouse.database.db.execute(sql`SELECT id FROM outbox`)),
      ).toHaveLength(0);
    });
  });
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { REQUIRE_EMAIL_VERIFICATION: 'true' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('an unverified login answers 403 email_not_verified, but only after a correct password', async () => {
    const { account } = await registerUser(t.app);
    expectProblem(
      await post(t.app, '/auth/login', { identifier: account.email, password: 'wrong-password-1' }),
      401,
      'invalid_credentials',
    );
    expectProblem(
      await post(t.app, '/auth/login', { identifier: account.email, password: account.password }),
      403,
      'email_not_verified',
    );
    const { code } = await verificationSecrets(t, account.email);
    await post(t.app, '/auth/verify-email/confirm', { email: account.email, code });
    await login(t.app, account.username, account.password);
  });

  it('signup without an email is refused (it could never be verified)', async () => {
    const { username, password } = newAccount();
    expectProblem(
      await post(t.app, '/auth/signup', { username, password }),
      422,
      'validation_failed',
    );
  });
});
