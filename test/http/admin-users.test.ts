import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/modules/mfa/totp.js';
import {
  buildTestApp,
  json,
  newAccount,
  post,
  registerAndLogin,
  type TestApp,
} from '../helpers/app.js';
import { loginAsAdmin, loginWithRoles } from '../helpers/admin.js';
import { auditRows } from '../helpers/audit.js';
import { call, meStatus, refresh, rowsOf } from '../helpers/http.js';
import { eventsOf, lastMail } from '../helpers/lifecycle.js';
import { secretsOf } from '../helpers/mailbox.js';
import { expectProblem, problemFields } from '../helpers/problem.js';

const KEY = 'admin-suite-key-encryption-key-0123456789abcdef';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Every admin route with a body that passes validation, so only the permission can refuse it. */
function adminRoutes(id: string): [Method, string, unknown?][] {
  return [
    ['GET', '/users'],
    ['POST', '/users', { email: 'someone-new@example.com', password: 'Quiet-Meadow-Lantern-42' }],
    ['GET', `/users/${id}`],
    ['PATCH', `/users/${id}`, { full_name: 'Renamed' }],
    ['DELETE', `/users/${id}`],
    ['POST', `/users/${id}/lock`, { reason: 'test' }],
    ['POST', `/users/${id}/unlock`],
    ['DELETE', `/users/${id}/sessions`],
    ['DELETE', `/users/${id}/mfa`],
    ['GET', `/users/${id}/roles`],
    ['PUT', `/users/${id}/roles`, { roles: ['user'] }],
    ['GET', '/roles'],
    ['POST', '/roles', { name: 'sneaky', permissions: ['users:read'] }],
    ['GET', '/roles/admin'],
    ['PUT', '/roles/user', { description: 'changed' }],
    ['DELETE', '/roles/user'],
    ['GET', '/permissions'],
    ['GET', '/audit-events'],
  ];
}

/** Logs in with the password alone; the response as is. */
function loginAttempt(t: TestApp, identifier: string, password: string) {
  return post(t.app, '/auth/login', { identifier, password });
}

/** Registers a plain account (role `user`) and logs it in. */
async function plainUser(t: TestApp) {
  const { account, user, accessToken, refreshToken } = await registerAndLogin(t.app);
  return { account, id: user.id, accessToken, refreshToken };
}

async function adminAudit(t: TestApp, token: string, query: string) {
  const response = await call(t.app, 'GET', `/audit-events${query}`, token);
  expect(response.statusCode, response.body).toBe(200);
  return json(response) as {
    items: { id: string; type: string; actor_id: string; subject_id: string }[];
    next_cursor: string | null;
  };
}

/**
 * @see issue #7 — the admin users API: create (with invitation), read, change, delete, lock,
 * unlock, end sessions, reset MFA, the audit trail; permission guards and last-admin protection.
 */
describe('admin users API', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof loginAsAdmin>>;
  beforeAll(async () => {
    t = await buildTestApp({
      env: { KEY_ENCRYPTION_KEY: KEY, MAX_FAILED_LOGIN_ATTEMPTS: '3' },
    });
  });
  beforeEach(async () => {
    // A fresh token for each test: some move the clock past an access token's life.
    admin = await loginAsAdmin(t);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('permission guards', () => {
    it('a plain user gets 403 on every admin route, and no token gets 401', async () => {
      const plain = await plainUser(t);
      const target = await plainUser(t);
      const routes = adminRoutes(target.id);
      const withToken: string[] = [];
      const withoutToken: string[] = [];
      for (const [method, url, body] of routes) {
        const response = await call(t.app, method, url, plain.accessToken, body);
        withToken.push(`${method} ${url} → ${response.statusCode} ${json(response).code}`);
        const anonymous = await call(t.app, method, url, undefined, body);
        withoutToken.push(`${method} ${url} → ${anonymous.statusCode}`);
      }
      // Every route listed, so a missing one (404/405) shows here by name.
      expect(withToken).toEqual(routes.map(([m, u]) => `${m} ${u} → 403 forbidden`));
      expect(withoutToken).toEqual(routes.map(([m, u]) => `${m} ${u} → 401`));
      // Nothing happened to the target.
      expect(await meStatus(t.app, target.accessToken)).toBe(200);
    });

    it('each route asks for its own permission: users:read alone reads accounts, nothing else', async () => {
      const created = await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'reader',
        permissions: ['users:read'],
      });
      expect(created.statusCode, created.body).toBe(201);
      const reader = await loginWithRoles(t, ['reader']);
      const target = await plainUser(t);
      const readable = [`/users/${target.id}`, `/users/${target.id}/roles`];
      const outcomes: string[] = [];
      for (const [method, url, body] of adminRoutes(target.id)) {
        if (method === 'GET' && url === '/users') continue; // the list lives on another branch
        const response = await call(t.app, method, url, reader.accessToken, body);
        outcomes.push(`${method} ${url} → ${response.statusCode}`);
      }
      expect(outcomes).toEqual(
        adminRoutes(target.id)
          .filter(([m, u]) => !(m === 'GET' && u === '/users'))
          .map(([m, u]) => `${m} ${u} → ${m === 'GET' && readable.includes(u) ? 200 : 403}`),
      );
    });
  });

  describe('POST /users', () => {
    it('creates an account with a password and roles; audited and announced with the admin as actor', async () => {
      const account = newAccount();
      const created = await call(t.app, 'POST', '/users', admin.accessToken, {
        email: account.email,
        username: account.username,
        full_name: '  Ada Admin-Made ',
        password: account.password,
        email_verified: true,
        roles: ['admin'],
      });
      expect(created.statusCode, created.body).toBe(201);
      const user = json(created);
      expect(user).toMatchObject({
        email: account.email,
        username: account.username,
        full_name: 'Ada Admin-Made',
        email_verified: true,
        status: 'active',
        roles: ['admin', 'user'],
      });
      const login = await loginAttempt(t, account.email, account.password);
      expect(login.statusCode, login.body).toBe(200);

      await t.deliver();
      expect(eventsOf(t, 'user.created', user.id)).toHaveLength(1);
      expect(eventsOf(t, 'user.roles_changed', user.id)[0]!.data).toEqual({
        id: user.id,
        roles: ['admin', 'user'],
        previous_roles: ['user'],
      });
      const rows = await auditRows(t, user.id);
      const createdRow = rows.find((r) => r.type === 'user.created')!;
      expect(createdRow.actor_user_id).toBe(admin.user.id);
      expect(createdRow.detail).toMatchObject({ roles: ['admin', 'user'], invited: false });
      expect(rows.find((r) => r.type === 'user.roles_changed')?.actor_user_id).toBe(admin.user.id);
    });

    it('answers 409 for a taken email or username, naming the field', async () => {
      const { account } = await plainUser(t);
      const sameEmail = await call(t.app, 'POST', '/users', admin.accessToken, {
        email: account.email.toUpperCase(),
        password: 'Quiet-Meadow-Lantern-42',
      });
      expect(problemFields(expectProblem(sameEmail, 409, 'conflict'))).toEqual(['email']);
      const sameName = await call(t.app, 'POST', '/users', admin.accessToken, {
        username: account.username,
        password: 'Quiet-Meadow-Lantern-42',
      });
      expect(problemFields(expectProblem(sameName, 409, 'conflict'))).toEqual(['username']);
    });

    it.each([
      [{ password: 'Quiet-Meadow-Lantern-42' }, 'email'],
      [{ email: 'not-an-email', password: 'Quiet-Meadow-Lantern-42' }, 'email'],
      [{ username: 'a b', password: 'Quiet-Meadow-Lantern-42' }, 'username'],
      [{ email: 'weak@example.com', password: 'password' }, 'password'],
      [{ email: 'r@example.com', password: 'Quiet-Meadow-Lantern-42', roles: ['nope'] }, 'roles'],
      [{ email: 'r@example.com', roles: 'admin' }, 'roles'],
      [{ username: 'noemail1', send_invite: true }, 'send_invite'],
      [
        { email: 'x@example.com', password: 'Quiet-Meadow-Lantern-42', send_invite: true },
        'send_invite',
      ],
      [{ username: 'noemail2', email_verified: true }, 'email_verified'],
      [{ email: 'n@example.com', full_name: 42 }, 'full_name'],
    ])('refuses %j with a 422 naming %s', async (body, field) => {
      const response = await call(t.app, 'POST', '/users', admin.accessToken, body);
      expect(response.statusCode, response.body).toBe(422);
      expect(problemFields(json(response))).toContain(field);
    });

    it('nobody hands out roles beyond their own permissions (403)', async () => {
      await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'helpdesk',
        permissions: ['users:read', 'users:write'],
      });
      const helpdesk = await loginWithRoles(t, ['helpdesk']);
      const response = await call(t.app, 'POST', '/users', helpdesk.accessToken, {
        email: newAccount().email,
        password: 'Quiet-Meadow-Lantern-42',
        roles: ['admin'],
      });
      expectProblem(response, 403, 'forbidden');
      const plainOk = await call(t.app, 'POST', '/users', helpdesk.accessToken, {
        email: newAccount().email,
        password: 'Quiet-Meadow-Lantern-42',
        roles: ['helpdesk'],
      });
      expect(plainOk.statusCode, plainOk.body).toBe(201);
      expect(json(plainOk).roles).toEqual(['helpdesk', 'user']);
    });

    it('invites: the mail sets the password through /auth/password/reset, verifies the address, and login works', async () => {
      const { email } = newAccount();
      const created = await call(t.app, 'POST', '/users', admin.accessToken, {
        email,
        full_name: 'Invited Person',
        send_invite: true,
      });
      expect(created.statusCode, created.body).toBe(201);
      const user = json(created);
      expect(user.email_verified).toBe(false);
      // No password yet: nothing signs in.
      expectProblem(
        await loginAttempt(t, email, 'Quiet-Meadow-Lantern-42'),
        401,
        'invalid_credentials',
      );

      const mail = await lastMail(t, email, /invited/);
      expect(mail.text).toContain('7 days');
      const { token, link } = secretsOf(mail);
      expect(link.startsWith('http://gatehouse.test/reset-password?token=')).toBe(true);
      // Still valid after six days.
      t.clock.advance(6 * 86_400_000);
      const password = 'Orchard-Window-Compass-88';
      const reset = await post(t.app, '/auth/password/reset', { token, new_password: password });
      expect(reset.statusCode, reset.body).toBe(204);
      const login = await loginAttempt(t, email, password);
      expect(login.statusCode, login.body).toBe(200);
      expect(json(login).user.email_verified).toBe(true);
      // Single use.
      const again = await post(t.app, '/auth/password/reset', {
        token,
        new_password: 'Another-Window-Compass-99',
      });
      expect(again.statusCode).toBe(400);

      await t.deliver();
      expect(eventsOf(t, 'user.email_verified', user.id)).toHaveLength(1);
      const rows = await auditRows(t, user.id);
      expect(rows.find((r) => r.type === 'user.invited')?.actor_user_id).toBe(admin.user.id);
      expect(rows.find((r) => r.type === 'password.reset_completed')?.detail).toMatchObject({
        invite: true,
      });
    });

    it('an invitation expires after 7 days', async () => {
      const { email } = newAccount();
      const created = await call(t.app, 'POST', '/users', admin.accessToken, {
        email,
        send_invite: true,
      });
      expect(created.statusCode, created.body).toBe(201);
      const { code } = secretsOf(await lastMail(t, email, /invited/));
      t.clock.advance(7 * 86_400_000 + 1000);
      const reset = await post(t.app, '/auth/password/reset', {
        email,
        code,
        new_password: 'Orchard-Window-Compass-88',
      });
      expect(reset.statusCode, reset.body).toBe(400);
    });
  });

  describe('GET /users/{id}', () => {
    it('shows roles, MFA state and live sessions; 404 for an unknown id, 422 for a malformed one', async () => {
      const target = await plainUser(t);
      const response = await call(t.app, 'GET', `/users/${target.id}`, admin.accessToken);
      expect(response.statusCode, response.body).toBe(200);
      expect(json(response)).toMatchObject({
        id: target.id,
        email: target.account.email,
        roles: ['user'],
        status: 'active',
        mfa_enabled: false,
        active_sessions: 1,
      });
      expectProblem(
        await call(t.app, 'GET', `/users/${UNKNOWN_ID}`, admin.accessToken),
        404,
        'not_found',
      );
      const malformed = await call(t.app, 'GET', '/users/not-a-uuid', admin.accessToken);
      expect(problemFields(expectProblem(malformed, 422, 'validation_failed'))).toContain('id');
    });
  });

  describe('PATCH /users/{id}', () => {
    it('changes profile and email: user.updated and user.email_changed, audited with the admin as actor', async () => {
      const target = await plainUser(t);
      const newEmail = newAccount().email;
      const response = await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, {
        email: newEmail,
        full_name: 'New Name',
        metadata: { team: 'blue' },
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(json(response)).toMatchObject({
        email: newEmail,
        full_name: 'New Name',
        metadata: { team: 'blue' },
        email_verified: false,
        roles: ['user'],
      });
      await t.deliver();
      expect(eventsOf(t, 'user.updated', target.id)[0]!.data).toMatchObject({
        email: newEmail,
        changed: ['email', 'full_name', 'metadata'],
      });
      expect(eventsOf(t, 'user.email_changed', target.id)[0]!.data).toEqual({
        id: target.id,
        email: newEmail,
        previous_email: target.account.email,
      });
      const row = (await auditRows(t, target.id)).find(
        (r) => r.type === 'user.updated' && r.actor_user_id === admin.user.id,
      );
      expect(row?.detail).toEqual({ fields: ['email', 'full_name', 'metadata'] });
      // The account signs in with its new address.
      expect((await loginAttempt(t, newEmail, target.account.password)).statusCode).toBe(200);

      const verified = await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, {
        email_verified: true,
      });
      expect(json(verified).email_verified).toBe(true);
    });

    it('disabling ends the sessions and refuses login; enabling lets it in again', async () => {
      const target = await plainUser(t);
      const disabled = await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, {
        status: 'disabled',
      });
      expect(disabled.statusCode, disabled.body).toBe(200);
      expect(json(disabled).status).toBe('disabled');
      expect(await meStatus(t.app, target.accessToken)).toBe(401);
      expect((await refresh(t.app, target.refreshToken)).statusCode).toBe(401);
      expectProblem(
        await loginAttempt(t, target.account.email, target.account.password),
        403,
        'account_disabled',
      );
      const enabled = await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, {
        status: 'active',
      });
      expect(json(enabled).status).toBe('active');
      expect(
        (await loginAttempt(t, target.account.email, target.account.password)).statusCode,
      ).toBe(200);
    });

    it('409 for a taken email, 404 for unknown ids, 422 naming the field for bad bodies', async () => {
      const target = await plainUser(t);
      const other = await plainUser(t);
      const taken = await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, {
        email: other.account.email,
      });
      expect(problemFields(expectProblem(taken, 409, 'conflict'))).toEqual(['email']);
      expectProblem(
        await call(t.app, 'PATCH', `/users/${UNKNOWN_ID}`, admin.accessToken, { full_name: 'x' }),
        404,
        'not_found',
      );
      for (const [body, field] of [
        [{ status: 'locked' }, 'status'],
        [{ email: 'nope' }, 'email'],
        [{ username: '  ' }, 'username'],
        [{ email_verified: 'yes' }, 'email_verified'],
      ] as const) {
        const response = await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, body);
        expect(response.statusCode, `${JSON.stringify(body)}: ${response.body}`).toBe(422);
        expect(problemFields(json(response))).toContain(field);
      }
      const empty = await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, {});
      expect(empty.statusCode).toBe(422);
    });

    it('an admin cannot disable themselves here (409)', async () => {
      const self = await call(t.app, 'PATCH', `/users/${admin.user.id}`, admin.accessToken, {
        status: 'disabled',
      });
      expectProblem(self, 409, 'conflict');
    });
  });

  describe('lock and unlock', () => {
    it('lock → 423 at login and sessions end; unlock → login works; both audited and announced', async () => {
      const target = await plainUser(t);
      const locked = await call(t.app, 'POST', `/users/${target.id}/lock`, admin.accessToken, {
        reason: 'suspicious activity',
      });
      expect(locked.statusCode, locked.body).toBe(200);
      expect(json(locked).status).toBe('locked');
      expect(await meStatus(t.app, target.accessToken)).toBe(401);
      expectProblem(
        await loginAttempt(t, target.account.email, target.account.password),
        423,
        'account_locked',
      );

      const unlocked = await call(t.app, 'POST', `/users/${target.id}/unlock`, admin.accessToken);
      expect(unlocked.statusCode, unlocked.body).toBe(200);
      expect(json(unlocked).status).toBe('active');
      expect(
        (await loginAttempt(t, target.account.email, target.account.password)).statusCode,
      ).toBe(200);

      await t.deliver();
      expect(eventsOf(t, 'user.locked', target.id).map((e) => e.data)).toEqual([
        { id: target.id, reason: 'suspicious activity', locked_until: null },
      ]);
      expect(eventsOf(t, 'user.unlocked', target.id).map((e) => e.data)).toEqual([
        { id: target.id },
      ]);
      const rows = await auditRows(t, target.id);
      const lockRow = rows.find((r) => r.type === 'user.locked')!;
      expect(lockRow.actor_user_id).toBe(admin.user.id);
      expect(lockRow.detail).toMatchObject({ reason: 'suspicious activity' });
      expect(rows.find((r) => r.type === 'user.unlocked')?.actor_user_id).toBe(admin.user.id);
    });

    it('unlock clears a failed-login lockout of the email and the username', async () => {
      const target = await plainUser(t);
      for (const identifier of [target.account.email, target.account.username]) {
        for (let i = 0; i < 3; i += 1) await loginAttempt(t, identifier, 'Wrong-Password-123');
        expectProblem(
          await loginAttempt(t, identifier, target.account.password),
          423,
          'account_locked',
        );
      }
      const unlocked = await call(t.app, 'POST', `/users/${target.id}/unlock`, admin.accessToken);
      expect(unlocked.statusCode, unlocked.body).toBe(200);
      expect(json(unlocked).status).toBe('active');
      for (const identifier of [target.account.email, target.account.username]) {
        expect((await loginAttempt(t, identifier, target.account.password)).statusCode).toBe(200);
      }
    });

    it('locking twice changes nothing more; unknown ids are 404; bad reasons 422; self is 409', async () => {
      const target = await plainUser(t);
      await call(t.app, 'POST', `/users/${target.id}/lock`, admin.accessToken);
      const again = await call(t.app, 'POST', `/users/${target.id}/lock`, admin.accessToken);
      expect(again.statusCode).toBe(200);
      await t.deliver();
      expect(eventsOf(t, 'user.locked', target.id).map((e) => e.data)).toEqual([
        { id: target.id, reason: 'locked_by_admin', locked_until: null },
      ]);
      for (const action of ['lock', 'unlock']) {
        expectProblem(
          await call(t.app, 'POST', `/users/${UNKNOWN_ID}/${action}`, admin.accessToken),
          404,
          'not_found',
        );
      }
      const badReason = await call(t.app, 'POST', `/users/${target.id}/lock`, admin.accessToken, {
        reason: 'x'.repeat(201),
      });
      expect(problemFields(expectProblem(badReason, 422, 'validation_failed'))).toContain('reason');
      expectProblem(
        await call(t.app, 'POST', `/users/${admin.user.id}/lock`, admin.accessToken),
        409,
        'conflict',
      );
    });
  });

  describe('DELETE /users/{id}', () => {
    it('erases the account like self-deletion: sessions end, user.deleted, identifiers free, audited', async () => {
      const target = await plainUser(t);
      const response = await call(t.app, 'DELETE', `/users/${target.id}`, admin.accessToken);
      expect(response.statusCode, response.body).toBe(204);
      expect(await meStatus(t.app, target.accessToken)).toBe(401);
      expectProblem(
        await loginAttempt(t, target.account.email, target.account.password),
        401,
        'invalid_credentials',
      );
      // Shown to admins as deleted, without personal data.
      const shown = json(await call(t.app, 'GET', `/users/${target.id}`, admin.accessToken));
      expect(shown).toMatchObject({ status: 'deleted', email: null, username: null });
      await t.deliver();
      expect(eventsOf(t, 'user.deleted', target.id)).toHaveLength(1);
      const row = (await auditRows(t, target.id)).find((r) => r.type === 'user.deleted');
      expect(row?.actor_user_id).toBe(admin.user.id);
      // Deleted once: a second delete is 404, as is an unknown id.
      expectProblem(
        await call(t.app, 'DELETE', `/users/${target.id}`, admin.accessToken),
        404,
        'not_found',
      );
      expectProblem(
        await call(t.app, 'DELETE', `/users/${UNKNOWN_ID}`, admin.accessToken),
        404,
        'not_found',
      );
      const again = await post(t.app, '/auth/register', target.account);
      expect(again.statusCode).toBe(201);
    });

    it('an admin cannot delete themselves here (409)', async () => {
      expectProblem(
        await call(t.app, 'DELETE', `/users/${admin.user.id}`, admin.accessToken),
        409,
        'conflict',
      );
    });
  });

  describe('DELETE /users/{id}/sessions', () => {
    it('ends every session of the account, audited with the list', async () => {
      const target = await plainUser(t);
      const second = await loginAttempt(t, target.account.email, target.account.password);
      const response = await call(
        t.app,
        'DELETE',
        `/users/${target.id}/sessions`,
        admin.accessToken,
      );
      expect(response.statusCode, response.body).toBe(200);
      expect(json(response).revoked).toHaveLength(2);
      expect(await meStatus(t.app, target.accessToken)).toBe(401);
      expect(await meStatus(t.app, json(second).access_token)).toBe(401);
      const row = (await auditRows(t, target.id)).find(
        (r) => r.type === 'session.revoked' && r.actor_user_id === admin.user.id,
      );
      expect(row?.detail.session_ids).toEqual(json(response).revoked);
      expectProblem(
        await call(t.app, 'DELETE', `/users/${UNKNOWN_ID}/sessions`, admin.accessToken),
        404,
        'not_found',
      );
    });
  });

  describe('DELETE /users/{id}/mfa', () => {
    async function enrol(accessToken: string) {
      const setup = await post(t.app, '/mfa/setup', {}, accessToken);
      expect(setup.statusCode, setup.body).toBe(200);
      const { secret } = json(setup);
      const verify = await post(
        t.app,
        '/mfa/verify',
        { code: totpCode(secret, t.clock.now()) },
        accessToken,
      );
      expect(verify.statusCode, verify.body).toBe(200);
    }

    it('removes a lost factor: the owner is mailed and logs in with the password alone', async () => {
      const target = await plainUser(t);
      await enrol(target.accessToken);
      const challenged = json(await loginAttempt(t, target.account.email, target.account.password));
      expect(challenged.mfa_required).toBe(true);
      expect(
        json(await call(t.app, 'GET', `/users/${target.id}`, admin.accessToken)).mfa_enabled,
      ).toBe(true);

      const reset = await call(t.app, 'DELETE', `/users/${target.id}/mfa`, admin.accessToken);
      expect(reset.statusCode, reset.body).toBe(204);
      const login = await loginAttempt(t, target.account.email, target.account.password);
      expect(login.statusCode, login.body).toBe(200);
      expect(json(login).access_token).toEqual(expect.any(String));

      await lastMail(t, target.account.email, /Two-step verification was turned off/);
      expect(eventsOf(t, 'user.mfa_disabled', target.id)).toHaveLength(1);
      const row = (await auditRows(t, target.id)).find((r) => r.type === 'mfa.reset');
      expect(row?.actor_user_id).toBe(admin.user.id);
      const { backup } = rowsOf<{ backup: number }>(
        await (
          await t.db.open()
        ).db.execute(
          sql`SELECT count(*)::int AS backup FROM backup_codes WHERE user_id = ${target.id}`,
        ),
      )[0]!;
      expect(backup).toBe(0);

      // Off already: 409; unknown: 404.
      expectProblem(
        await call(t.app, 'DELETE', `/users/${target.id}/mfa`, admin.accessToken),
        409,
        'conflict',
      );
      expectProblem(
        await call(t.app, 'DELETE', `/users/${UNKNOWN_ID}/mfa`, admin.accessToken),
        404,
        'not_found',
      );
    });

    it('deleting an account removes its MFA factor and backup codes, self-deletion too', async () => {
      const byAdmin = await plainUser(t);
      const bySelf = await plainUser(t);
      await enrol(byAdmin.accessToken);
      await enrol(bySelf.accessToken);
      expect(
        (await call(t.app, 'DELETE', `/users/${byAdmin.id}`, admin.accessToken)).statusCode,
      ).toBe(204);
      const selfDelete = await t.app.inject({
        method: 'DELETE',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${bySelf.accessToken}` },
        payload: { password: bySelf.account.password },
      });
      expect(selfDelete.statusCode, selfDelete.body).toBe(204);
      const database = await t.db.open();
      for (const id of [byAdmin.id, bySelf.id]) {
        const [counts] = rowsOf<{ factors: number; codes: number }>(
          await database.db.execute(
            sql`SELECT (SELECT count(*)::int FROM mfa_factors WHERE user_id = ${id}) AS factors,
                       (SELECT count(*)::int FROM backup_codes WHERE user_id = ${id}) AS codes`,
          ),
        );
        expect(counts).toEqual({ factors: 0, codes: 0 });
      }
    });
  });

  describe('GET /audit-events', () => {
    it('lists every account newest first, filtered by subject, actor, type (exact or prefix) and time', async () => {
      const target = await plainUser(t);
      t.clock.advance(1000);
      // From here on: the registration and first login above are before `since`.
      const since = t.clock.now().toISOString();
      t.clock.advance(1000);
      await call(t.app, 'POST', `/users/${target.id}/lock`, admin.accessToken);
      t.clock.advance(1000);
      await call(t.app, 'POST', `/users/${target.id}/unlock`, admin.accessToken);
      t.clock.advance(1000);
      await loginAttempt(t, target.account.email, target.account.password);

      const bySubject = await adminAudit(t, admin.accessToken, `?user_id=${target.id}`);
      expect(bySubject.items.map((e) => e.type).slice(0, 3)).toEqual([
        'auth.login_success',
        'user.unlocked',
        'user.locked',
      ]);
      expect(bySubject.items.every((e) => e.subject_id === target.id)).toBe(true);

      const byActor = await adminAudit(
        t,
        admin.accessToken,
        `?user_id=${target.id}&actor=${admin.user.id}`,
      );
      expect(byActor.items.map((e) => e.type)).toEqual(['user.unlocked', 'user.locked']);

      const exact = await adminAudit(
        t,
        admin.accessToken,
        `?user_id=${target.id}&type=user.locked`,
      );
      expect(exact.items.map((e) => e.type)).toEqual(['user.locked']);
      const prefix = await adminAudit(t, admin.accessToken, `?user_id=${target.id}&type=auth.*`);
      expect(prefix.items.length).toBeGreaterThanOrEqual(2);
      expect(prefix.items.every((e) => e.type.startsWith('auth.'))).toBe(true);

      const window = await adminAudit(
        t,
        admin.accessToken,
        `?user_id=${target.id}&since=${encodeURIComponent(since)}&until=${encodeURIComponent(
          new Date(t.clock.now().getTime() - 500).toISOString(),
        )}`,
      );
      expect(window.items.map((e) => e.type)).toEqual(['user.unlocked', 'user.locked']);
    });

    it('pages with a cursor: every event once, in order', async () => {
      const target = await plainUser(t);
      for (let i = 0; i < 5; i += 1) {
        await call(t.app, 'PATCH', `/users/${target.id}`, admin.accessToken, {
          full_name: `Name ${i}`,
        });
      }
      const all = await adminAudit(t, admin.accessToken, `?user_id=${target.id}&limit=100`);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?user_id=${target.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await adminAudit(t, admin.accessToken, query);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((e) => e.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toEqual(all.items.map((e) => e.id));
      expect(seen.length).toBeGreaterThanOrEqual(7);
    });

    it.each([
      ['?type=auth.', 'type'],
      ["?type=auth.%25'", 'type'],
      ['?user_id=nope', 'user_id'],
      ['?actor=nope', 'actor'],
      ['?since=yesterday', 'since'],
      ['?limit=0', 'limit'],
      ['?cursor=garbage', 'cursor'],
    ])('refuses %s with a 422 naming %s', async (query, field) => {
      const response = await call(t.app, 'GET', `/audit-events${query}`, admin.accessToken);
      expect(problemFields(expectProblem(response, 422, 'validation_failed'))).toContain(field);
    });
  });
});

/** Last-admin protection, on a database of its own where the admins are counted exactly. */
describe('last active admin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    // Someone who manages accounts without holding `admin` (the role is seeded directly).
    const database = await t.db.open();
    await database.db.execute(
      sql`INSERT INTO roles (name, description, built_in, created_at, updated_at)
          VALUES ('operator', 'Manages accounts', false, now(), now())`,
    );
    await database.db.execute(
      sql`INSERT INTO role_permissions (role_name, permission) VALUES ('operator', 'users:*')`,
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('the only admin cannot be deleted, locked or disabled by someone with users:*; with a second admin they can', async () => {
    const only = await loginAsAdmin(t);
    const operator = await loginWithRoles(t, ['operator']);
    const attempts: [Method, string, unknown?][] = [
      ['DELETE', `/users/${only.user.id}`],
      ['POST', `/users/${only.user.id}/lock`],
      ['PATCH', `/users/${only.user.id}`, { status: 'disabled' }],
    ];
    for (const [method, url, body] of attempts) {
      const response = await call(t.app, method, url, operator.accessToken, body);
      const problem = expectProblem(response, 409, 'conflict');
      expect(problem.detail).toMatch(/last active admin/);
    }
    // Still an active admin with a working session.
    expect(await meStatus(t.app, only.accessToken)).toBe(200);

    const second = await loginAsAdmin(t);
    const locked = await call(t.app, 'POST', `/users/${only.user.id}/lock`, operator.accessToken);
    expect(locked.statusCode, locked.body).toBe(200);
    // Now `second` is the last active one.
    for (const [method, url, body] of [
      ['DELETE', `/users/${second.user.id}`],
      ['PATCH', `/users/${second.user.id}`, { status: 'disabled' }],
    ] as [Method, string, unknown?][]) {
      expectProblem(await call(t.app, method, url, operator.accessToken, body), 409, 'conflict');
    }
    const unlocked = await call(
      t.app,
      'POST',
      `/users/${only.user.id}/unlock`,
      operator.accessToken,
    );
    expect(unlocked.statusCode).toBe(200);
    const deleted = await call(t.app, 'DELETE', `/users/${second.user.id}`, operator.accessToken);
    expect(deleted.statusCode, deleted.body).toBe(204);
  });

  it('locking the last two admins at once: exactly one lock succeeds', async () => {
    const first = await loginAsAdmin(t);
    const second = await loginAsAdmin(t);
    // Every admin made earlier in this suite is locked out of the count first.
    const database = await t.db.open();
    await database.db.execute(
      sql`UPDATE users SET status = 'disabled'
           WHERE id IN (SELECT user_id FROM user_roles WHERE role_name = 'admin')
             AND status = 'active' AND id NOT IN (${first.user.id}, ${second.user.id})`,
    );
    const operator = await loginWithRoles(t, ['operator']);
    const [a, b] = await Promise.all([
      call(t.app, 'POST', `/users/${first.user.id}/lock`, operator.accessToken),
      call(t.app, 'POST', `/users/${second.user.id}/lock`, operator.accessToken),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
  });

  it('deleting and locking one admin at once: no deadlock, the account ends deleted', async () => {
    const keeper = await loginAsAdmin(t);
    const target = await loginAsAdmin(t);
    const operator = await loginWithRoles(t, ['operator']);
    const [deleted, locked] = await Promise.all([
      call(t.app, 'DELETE', `/users/${target.user.id}`, operator.accessToken),
      call(t.app, 'POST', `/users/${target.user.id}/lock`, operator.accessToken),
    ]);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect([200, 404], locked.body).toContain(locked.statusCode);
    const shown = await call(t.app, 'GET', `/users/${target.user.id}`, keeper.accessToken);
    expect(json(shown).status).toBe('deleted');
  });
});
