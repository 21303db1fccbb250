import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, json, post, registerAndLogin, type TestApp } from '../helpers/app.js';
import { grantRoles, loginAsAdmin, loginWithRoles } from '../helpers/admin.js';
import { auditRows } from '../helpers/audit.js';
import { call } from '../helpers/http.js';
import { eventsOf } from '../helpers/lifecycle.js';
import { expectProblem, problemFields } from '../helpers/problem.js';

/**
 * Roles and permissions (issue #7): the `roles` claim, the role API, wildcards, escalation
 * and last-admin protection.
 */
describe('RBAC', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('roles in tokens and userinfo', () => {
    it('a new account holds the built-in user role', async () => {
      const { accessToken } = await registerAndLogin(t.app);
      expect(decodeJwt(accessToken).roles).toEqual(['user']);
      expect(json(await get(t.app, '/auth/userinfo', accessToken)).roles).toEqual(['user']);
    });

    it('an assigned role shows in userinfo at once and in the next token', async () => {
      const { user, accessToken, refreshToken } = await registerAndLogin(t.app);
      await grantRoles(t, user.id, ['admin']);
      expect(json(await get(t.app, '/auth/userinfo', accessToken)).roles).toEqual([
        'admin',
        'user',
      ]);
      const refreshed = json(await post(t.app, '/auth/refresh', { refresh_token: refreshToken }));
      expect(decodeJwt(refreshed.access_token).roles).toEqual(['admin', 'user']);
    });
  });

  describe('the role API', () => {
    it('lists the built-in roles with their permissions', async () => {
      const admin = await loginAsAdmin(t);
      const response = await call(t.app, 'GET', '/roles', admin.accessToken);
      expect(response.statusCode, response.body).toBe(200);
      const roles = json(response).items as { name: string; permissions: string[] }[];
      expect(roles.find((r) => r.name === 'admin')).toMatchObject({
        built_in: true,
        permissions: ['*'],
      });
      expect(roles.find((r) => r.name === 'user')).toMatchObject({
        built_in: true,
        permissions: [],
      });
    });

    it('creates, reads, changes and deletes a custom role, audited with the admin as actor', async () => {
      const admin = await loginAsAdmin(t);
      const created = await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'support',
        description: 'Helpdesk',
        permissions: ['users:read', 'users:lock', 'users:read'],
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(json(created)).toMatchObject({
        name: 'support',
        built_in: false,
        permissions: ['users:lock', 'users:read'],
        members: 0,
      });
      const again = await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'support',
        permissions: [],
      });
      expectProblem(again, 409, 'conflict');

      const changed = await call(t.app, 'PUT', '/roles/support', admin.accessToken, {
        permissions: ['users:*'],
      });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(json(changed)).toMatchObject({ permissions: ['users:*'], description: 'Helpdesk' });
      expect(
        json(await call(t.app, 'GET', '/roles/support', admin.accessToken)).permissions,
      ).toEqual(['users:*']);

      const removed = await call(t.app, 'DELETE', '/roles/support', admin.accessToken);
      expect(removed.statusCode, removed.body).toBe(204);
      expectProblem(
        await call(t.app, 'GET', '/roles/support', admin.accessToken),
        404,
        'not_found',
      );

      const database = await t.db.open();
      const rows = await database.query<{ type: string; actor_user_id: string }>(
        'test_role_audit',
        `SELECT type, actor_user_id FROM audit_events WHERE type LIKE 'role.%' AND detail->>'role' = 'support' ORDER BY seq`,
        [],
      );
      expect(rows.map((r) => r.type)).toEqual(['role.created', 'role.updated', 'role.deleted']);
      expect(rows.every((r) => r.actor_user_id === admin.user.id)).toBe(true);
    });

    it('refuses bad names and permissions with 422 naming the field', async () => {
      const admin = await loginAsAdmin(t);
      for (const [body, field] of [
        [{ name: 'Has Spaces', permissions: [] }, 'name'],
        [{ name: 'ok-name', permissions: ['users'] }, 'permissions'],
        [{ name: 'ok-name', permissions: ['users:read:extra'] }, 'permissions'],
        [{ name: 'ok-name', permissions: ['**'] }, 'permissions'],
        [{ name: 'ok-name' }, 'permissions'],
      ] as const) {
        const response = await call(t.app, 'POST', '/roles', admin.accessToken, body);
        expect(problemFields(expectProblem(response, 422, 'validation_failed'))).toContain(field);
      }
      const empty = await call(t.app, 'PUT', '/roles/user', admin.accessToken, {});
      expectProblem(empty, 422, 'validation_failed');
    });

    it('keeps the built-in roles: admin stays *, neither can be deleted', async () => {
      const admin = await loginAsAdmin(t);
      expectProblem(
        await call(t.app, 'PUT', '/roles/admin', admin.accessToken, {
          permissions: ['users:read'],
        }),
        409,
        'conflict',
      );
      expectProblem(
        await call(t.app, 'DELETE', '/roles/admin', admin.accessToken),
        409,
        'conflict',
      );
      expectProblem(await call(t.app, 'DELETE', '/roles/user', admin.accessToken), 409, 'conflict');
    });

    it('does not delete a role someone still holds', async () => {
      const admin = await loginAsAdmin(t);
      await call(t.app, 'POST', '/roles', admin.accessToken, { name: 'held', permissions: [] });
      const { user } = await registerAndLogin(t.app);
      const set = await call(t.app, 'PUT', `/users/${user.id}/roles`, admin.accessToken, {
        roles: ['user', 'held'],
      });
      expect(set.statusCode, set.body).toBe(200);
      expectProblem(await call(t.app, 'DELETE', '/roles/held', admin.accessToken), 409, 'conflict');
      expect(json(await call(t.app, 'GET', '/roles/held', admin.accessToken)).members).toBe(1);
    });
  });

  describe('wildcards grant exactly their scope', () => {
    it('*:read reads everything and writes nothing', async () => {
      const admin = await loginAsAdmin(t);
      await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'reader',
        permissions: ['*:read'],
      });
      const reader = await loginWithRoles(t, ['reader']);
      const token = reader.accessToken;
      expect((await call(t.app, 'GET', '/roles', token)).statusCode).toBe(200);
      expect((await call(t.app, 'GET', '/permissions', token)).statusCode).toBe(200);
      expect((await call(t.app, 'GET', `/users/${admin.user.id}/roles`, token)).statusCode).toBe(
        200,
      );
      expectProblem(
        await call(t.app, 'POST', '/roles', token, { name: 'nope', permissions: [] }),
        403,
        'forbidden',
      );
      expectProblem(
        await call(t.app, 'PUT', `/users/${reader.user.id}/roles`, token, { roles: ['user'] }),
        403,
        'forbidden',
      );
    });

    it('roles:* manages roles but reads no accounts', async () => {
      const admin = await loginAsAdmin(t);
      await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'role-manager',
        permissions: ['roles:*'],
      });
      const manager = await loginWithRoles(t, ['role-manager']);
      const created = await call(t.app, 'POST', '/roles', manager.accessToken, {
        name: 'role-reader',
        permissions: ['roles:read'],
      });
      expect(created.statusCode, created.body).toBe(201);
      expectProblem(
        await call(t.app, 'GET', `/users/${admin.user.id}/roles`, manager.accessToken),
        403,
        'forbidden',
      );
    });

    it('a permission revoked from a role stops working at once, whatever the token says', async () => {
      const admin = await loginAsAdmin(t);
      await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'temp-reader',
        permissions: ['roles:read'],
      });
      const holder = await loginWithRoles(t, ['temp-reader']);
      expect((await call(t.app, 'GET', '/roles', holder.accessToken)).statusCode).toBe(200);
      await call(t.app, 'PUT', '/roles/temp-reader', admin.accessToken, { permissions: [] });
      expectProblem(await call(t.app, 'GET', '/roles', holder.accessToken), 403, 'forbidden');
    });
  });

  describe('no escalation', () => {
    it('cannot put into a role, or assign, what one does not hold', async () => {
      const admin = await loginAsAdmin(t);
      await call(t.app, 'POST', '/roles', admin.accessToken, {
        name: 'delegate',
        permissions: ['roles:*', 'users:read'],
      });
      const delegate = await loginWithRoles(t, ['delegate']);
      const widened = await call(t.app, 'POST', '/roles', delegate.accessToken, {
        name: 'wider',
        permissions: ['users:*'],
      });
      expect(problemFields(expectProblem(widened, 422, 'validation_failed'))).toEqual([
        'permissions',
      ]);
      const toAdmin = await call(
        t.app,
        'PUT',
        `/users/${delegate.user.id}/roles`,
        delegate.accessToken,
        {
          roles: ['user', 'delegate', 'admin'],
        },
      );
      expectProblem(toAdmin, 403, 'forbidden');
      expect(json(await get(t.app, '/auth/userinfo', delegate.accessToken)).roles).toEqual([
        'delegate',
        'user',
      ]);
    });
  });

  describe('assigning roles', () => {
    it('sets exactly the given roles, emits user.roles_changed and audits the admin as actor', async () => {
      const admin = await loginAsAdmin(t);
      await call(t.app, 'POST', '/roles', admin.accessToken, { name: 'editor', permissions: [] });
      const { user } = await registerAndLogin(t.app);
      const response = await call(t.app, 'PUT', `/users/${user.id}/roles`, admin.accessToken, {
        roles: ['editor', 'user', 'editor'],
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(json(response).roles).toEqual(['editor', 'user']);
      expect(
        json(await call(t.app, 'GET', `/users/${user.id}/roles`, admin.accessToken)).roles,
      ).toEqual(['editor', 'user']);

      await t.deliver();
      const [event] = eventsOf(t, 'user.roles_changed', user.id);
      expect(event?.data).toEqual({
        id: user.id,
        roles: ['editor', 'user'],
        previous_roles: ['user'],
      });
      const audit = (await auditRows(t, user.id)).filter((r) => r.type === 'user.roles_changed');
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor_user_id).toBe(admin.user.id);
    });

    it('refuses unknown roles, bad ids and unknown accounts', async () => {
      const admin = await loginAsAdmin(t);
      const { user } = await registerAndLogin(t.app);
      const unknown = await call(t.app, 'PUT', `/users/${user.id}/roles`, admin.accessToken, {
        roles: ['user', 'no-such-role'],
      });
      expect(problemFields(expectProblem(unknown, 422, 'validation_failed'))).toEqual(['roles']);
      const badId = await call(t.app, 'PUT', '/users/not-a-uuid/roles', admin.accessToken, {
        roles: [],
      });
      expectProblem(badId, 422, 'validation_failed');
      const missing = await call(
        t.app,
        'PUT',
        '/users/00000000-0000-4000-8000-000000000000/roles',
        admin.accessToken,
        { roles: ['user'] },
      );
      expectProblem(missing, 404, 'not_found');
    });
  });

  describe('the last admin', () => {
    it('nobody removes their own admin role', async () => {
      const first = await loginAsAdmin(t);
      await loginAsAdmin(t);
      const response = await call(
        t.app,
        'PUT',
        `/users/${first.user.id}/roles`,
        first.accessToken,
        {
          roles: ['user'],
        },
      );
      expectProblem(response, 409, 'conflict');
      expect(json(await get(t.app, '/auth/userinfo', first.accessToken)).roles).toContain('admin');
    });

    it('the last active admin keeps the role; another admin can be demoted', async () => {
      const own = await buildTestApp();
      try {
        const admin = await loginAsAdmin(own);
        const other = await loginAsAdmin(own);
        // A custom role holding * may manage admins, but not remove the last one.
        const demoted = await call(
          own.app,
          'PUT',
          `/users/${other.user.id}/roles`,
          admin.accessToken,
          {
            roles: ['user'],
          },
        );
        expect(demoted.statusCode, demoted.body).toBe(200);
        await call(own.app, 'POST', '/roles', admin.accessToken, {
          name: 'superuser',
          permissions: ['*'],
        });
        const superuser = await loginWithRoles(own, ['superuser']);
        const last = await call(
          own.app,
          'PUT',
          `/users/${admin.user.id}/roles`,
          superuser.accessToken,
          {
            roles: ['user'],
          },
        );
        expectProblem(last, 409, 'conflict');
        expect(json(await get(own.app, '/auth/userinfo', admin.accessToken)).roles).toContain(
          'admin',
        );
      } finally {
        await own.close();
      }
    });

    it('the last active admin cannot delete their own account; a deleted account keeps no role', async () => {
      const own = await buildTestApp();
      try {
        const admin = await loginAsAdmin(own);
        const refused = await call(own.app, 'DELETE', '/users/me', admin.accessToken, {
          password: admin.account.password,
        });
        expectProblem(refused, 409, 'conflict');
        expect((await get(own.app, '/users/me', admin.accessToken)).statusCode).toBe(200);

        const second = await loginAsAdmin(own);
        const deleted = await call(own.app, 'DELETE', '/users/me', admin.accessToken, {
          password: admin.account.password,
        });
        expect(deleted.statusCode, deleted.body).toBe(204);
        const database = await own.db.open();
        const left = await database.query<{ role_name: string }>(
          'test_roles_left',
          'SELECT role_name FROM user_roles WHERE user_id = $1',
          [admin.user.id],
        );
        expect(left).toEqual([]);
        expect(json(await get(own.app, '/auth/userinfo', second.accessToken)).roles).toContain(
          'admin',
        );
      } finally {
        await own.close();
      }
    });

    it('two admins demoting each other at once: exactly one succeeds', async () => {
      const own = await buildTestApp();
      try {
        const a = await loginAsAdmin(own);
        const b = await loginAsAdmin(own);
        const [ab, ba] = await Promise.all([
          call(own.app, 'PUT', `/users/${b.user.id}/roles`, a.accessToken, { roles: ['user'] }),
          call(own.app, 'PUT', `/users/${a.user.id}/roles`, b.accessToken, { roles: ['user'] }),
        ]);
        const statuses = [ab.statusCode, ba.statusCode].sort();
        // The loser is refused either as the last admin (409) or, once demoted, as unauthorized (403).
        expect(statuses[0]).toBe(200);
        expect([403, 409]).toContain(statuses[1]);
        const admins = await Promise.all(
          [a, b].map(async (x) => json(await get(own.app, '/auth/userinfo', x.accessToken)).roles),
        );
        expect(admins.filter((roles: string[]) => roles.includes('admin'))).toHaveLength(1);
      } finally {
        await own.close();
      }
    });
  });
});
