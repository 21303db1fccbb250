import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/index.js';
import { users, type UserStatus } from '../../src/adapters/db/schema.js';
import { UserDirectory } from '../../src/modules/admin/user-directory.js';
import {
  buildTestApp,
  json,
  newAccount,
  post,
  registerAndLogin,
  type TestApp,
} from '../helpers/app.js';
import { grantRoles, loginAsAdmin, loginWithRoles } from '../helpers/admin.js';
import { call } from '../helpers/http.js';
import { expectProblem, problemFields } from '../helpers/problem.js';

interface Listed {
  id: string;
  email: string | null;
  username: string | null;
  full_name: string | null;
  email_verified: boolean;
  status: string;
  roles: string[];
  created_at: string;
}

/**
 * The admin user directory, GET /users (issue #7): search, filters, keyset pages that stay
 * exact while accounts are created between requests.
 * @see issue #7 (Admin users API, Scale)
 */
describe('admin user directory', () => {
  let t: TestApp;
  let database: Database;
  let adminToken: string;

  beforeAll(async () => {
    t = await buildTestApp();
    database = await t.db.open();
    adminToken = (await loginAsAdmin(t)).accessToken;
  });
  afterAll(async () => {
    await t.close();
  });

  /** A distinct, lowercase search prefix for one test. */
  function tag(): string {
    return `k${randomBytes(4).toString('hex')}`;
  }

  /** Moves the clock on and returns the instant: accounts created from now on are this test's. */
  function windowStart(): string {
    t.clock.advance(1_000);
    return t.clock.now().toISOString();
  }

  async function register(
    fields: { email?: string; username?: string; full_name?: string } = {},
  ): Promise<string> {
    const { full_name, ...identifiers } = fields;
    const response = await post(t.app, '/auth/register', {
      ...newAccount(identifiers),
      ...(full_name === undefined ? {} : { full_name }),
    });
    expect(response.statusCode, response.body).toBe(201);
    return json(response).user.id as string;
  }

  async function setStatus(id: string, status: UserStatus) {
    await database.db.update(users).set({ status }).where(eq(users.id, id));
  }

  async function markVerified(id: string) {
    await database.db.update(users).set({ emailVerifiedAt: t.clock.now() }).where(eq(users.id, id));
  }

  function list(query: Record<string, string | number | boolean>, token = adminToken) {
    const search = new URLSearchParams(
      Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
    );
    return call(t.app, 'GET', `/users?${search.toString()}`, token);
  }

  async function page(query: Record<string, string | number | boolean>) {
    const response = await list(query);
    expect(response.statusCode, response.body).toBe(200);
    return json(response) as { items: Listed[]; next_cursor: string | null };
  }

  /** Ids of every page, following `next_cursor`. */
  async function allIds(query: Record<string, string | number | boolean>): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const body = await page(cursor === null ? query : { ...query, cursor });
      ids.push(...body.items.map((item) => item.id));
      cursor = body.next_cursor;
    } while (cursor !== null);
    return ids;
  }

  describe('access', () => {
    it('needs a token: 401', async () => {
      expectProblem(await list({}, ''), 401, 'unauthorized');
    });

    it('needs users:read: 403 for a plain user, 200 for a custom role granting it', async () => {
      const plain = await registerAndLogin(t.app);
      expectProblem(await list({}, plain.accessToken), 403, 'forbidden');

      const created = await call(t.app, 'POST', '/roles', adminToken, {
        name: `reader-${tag()}`,
        permissions: ['users:read'],
      });
      expect(created.statusCode, created.body).toBe(201);
      const reader = await loginWithRoles(t, [json(created).name as string]);
      expect((await list({ limit: 1 }, reader.accessToken)).statusCode).toBe(200);
    });
  });

  describe('pages', () => {
    it('returns every row exactly once, newest first, while accounts are created between pages', async () => {
      const since = windowStart();
      const existing: string[] = [];
      // Half share one instant (ties broken by id), half are a millisecond apart.
      for (let i = 0; i < 24; i += 1) {
        if (i % 2 === 0) t.clock.advance(1);
        existing.push(await register());
      }
      const newest = t.clock.now();
      const inserted: string[] = [];
      const seen: Listed[] = [];
      let cursor: string | null = null;
      do {
        const body = await page({
          created_after: since,
          limit: 5,
          ...(cursor === null ? {} : { cursor }),
        });
        seen.push(...body.items);
        cursor = body.next_cursor;
        // Between every two pages: an account at the very instant the page ended on (it sorts
        // on either side of the cursor, by id), and one newer than everything.
        const last = body.items[body.items.length - 1];
        if (last) {
          t.clock.set(new Date(last.created_at));
          inserted.push(await register());
        }
        t.clock.set(newest);
        inserted.push(await register());
      } while (cursor !== null);

      const seenIds = seen.map((item) => item.id);
      expect(new Set(seenIds).size).toBe(seenIds.length);
      for (const id of existing) expect(seenIds.filter((seenId) => seenId === id)).toHaveLength(1);
      for (const id of seenIds) expect([...existing, ...inserted]).toContain(id);
      const order = seen.map((item) => [item.created_at, item.id] as const);
      const sorted = [...order].sort((a, b) =>
        a[0] === b[0] ? b[1].localeCompare(a[1]) : b[0].localeCompare(a[0]),
      );
      expect(order).toEqual(sorted);
    });

    it('carries each account with its roles', async () => {
      const since = windowStart();
      const plain = await register();
      t.clock.advance(1);
      const admin = await register();
      await grantRoles(t, admin, ['admin']);
      const body = await page({ created_after: since });
      expect(body.items.map((item) => [item.id, item.roles])).toEqual([
        [admin, ['admin', 'user']],
        [plain, ['user']],
      ]);
      expect(body.items[0]).toMatchObject({ status: 'active', email_verified: false });
      expect(body.next_cursor).toBeNull();
    });

    it('limit: 1..100, default 50', async () => {
      const since = windowStart();
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        t.clock.advance(1);
        ids.push(await register());
      }
      const first = await page({ created_after: since, limit: 1 });
      expect(first.items.map((item) => item.id)).toEqual([ids[2]]);
      expect(first.next_cursor).toEqual(expect.any(String));
      expect((await page({ created_after: since, limit: 100 })).items).toHaveLength(3);
      const all = await page({ created_after: since });
      expect(all.items).toHaveLength(3);
      expect(all.next_cursor).toBeNull();
      for (const limit of ['0', '101', '-1', '2.5', 'ten']) {
        const response = await list({ limit });
        expect(problemFields(expectProblem(response, 422, 'validation_failed'))).toEqual(['limit']);
      }
    });

    it('default page size is 50', async () => {
      const since = windowStart();
      for (let i = 0; i < 51; i += 1) await register();
      const body = await page({ created_after: since });
      expect(body.items).toHaveLength(50);
      expect(body.next_cursor).not.toBeNull();
    });
  });

  describe('search (q)', () => {
    it('matches a prefix of the email, the username, the full name and its second word on', async () => {
      const since = windowStart();
      const prefix = tag();
      const byEmail = await register({ email: `${prefix}.mail@example.com` });
      const byUsername = await register({ username: `${prefix}_handle` });
      const byName = await register({ full_name: `${prefix}ina Rivera` });
      const bySecondWord = await register({ full_name: `Ana ${prefix}ez Ortiz` });
      const bySurname = await register({ full_name: `Jose ${prefix}son` });
      const inTheMiddle = await register({
        email: `x${prefix}@example.com`,
        full_name: 'No Match',
      });

      const found = await allIds({ q: prefix, created_after: since });
      expect(found.sort()).toEqual([byEmail, byUsername, byName, bySecondWord, bySurname].sort());
      expect(found).not.toContain(inTheMiddle);
      expect(await allIds({ q: `${prefix}.mail@` })).toEqual([byEmail]);
      expect(await allIds({ q: `${prefix}_hand` })).toEqual([byUsername]);
      expect(await allIds({ q: `${prefix}ina riv` })).toEqual([byName]);
    });

    it('ignores case and surrounding spaces', async () => {
      const prefix = tag();
      const id = await register({ email: `${prefix}@example.com`, full_name: `Zoe ${prefix}` });
      expect(await allIds({ q: `  ${prefix.toUpperCase()}  ` })).toEqual([id]);
      expect(await allIds({ q: `zOE ${prefix.toUpperCase()}` })).toEqual([id]);
    });

    it('finds the same accounts whether the newest ones hold a page of matches or not', async () => {
      // The directory tests the newest accounts one by one, then falls back to the prefix
      // indexes when too few match; walks of three and five rows make each step run here.
      const since = windowStart();
      const prefix = tag();
      const expected: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        t.clock.advance(1);
        expected.unshift(await register({ full_name: `${prefix} Match ${i}` }));
        t.clock.advance(1);
        await register();
      }
      const shortWalk = new UserDirectory(database, { walks: [3, 5] });
      const ids = async (directory: UserDirectory, role?: string) => {
        const filter = { q: prefix, createdAfter: new Date(since), role };
        const found: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await directory.list(filter, 4, cursor);
          found.push(...page.items.map((item) => item.user.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return found;
      };
      expect(await ids(shortWalk)).toEqual(expected);
      // One match in the first two rows promises a page within a hundred: the second walk.
      expect(await ids(new UserDirectory(database, { walks: [2, 100] }))).toEqual(expected);
      // A role held by many is tested on the walk's matches, a rare one narrows the walk.
      await grantRoles(t, expected[1]!, ['admin']);
      for (const rareRoleHolders of [0, 1_000_000]) {
        const directory = new UserDirectory(database, { walks: [2, 100], rareRoleHolders });
        expect(await ids(directory, 'user')).toEqual(expected);
        expect(await ids(directory, 'admin')).toEqual([expected[1]]);
      }
      expect(await ids(new UserDirectory(database))).toEqual(expected);
      expect(await allIds({ q: prefix })).toEqual(expected);
    });

    it('treats LIKE metacharacters (%, _, \\) literally', async () => {
      const prefix = tag();
      const underscore = await register({ username: `${prefix}a_b` });
      const noUnderscore = await register({ username: `${prefix}axb` });
      const percent = await register({ full_name: `${prefix} 100% sure` });
      const noPercent = await register({ full_name: `${prefix} 100x sure` });
      const backslash = await register({ full_name: `${prefix}\\path` });
      expect(await allIds({ q: `${prefix}a_` })).toEqual([underscore]);
      expect(await allIds({ q: `${prefix} 100%` })).toEqual([percent]);
      expect(await allIds({ q: `${prefix}\\` })).toEqual([backslash]);
      expect(await allIds({ q: `${prefix}%` })).toEqual([]);
      expect((await allIds({ q: prefix })).sort()).toEqual(
        [underscore, noUnderscore, percent, noPercent, backslash].sort(),
      );
    });
  });

  describe('filters', () => {
    it('status: all but deleted by default, or exactly the one asked for', async () => {
      const since = windowStart();
      const active = await register();
      const locked = await register();
      const disabled = await register();
      await setStatus(locked, 'locked');
      await setStatus(disabled, 'disabled');
      const leaving = newAccount();
      const leavingResponse = await post(t.app, '/auth/register', leaving);
      const leavingId = json(leavingResponse).user.id as string;
      const session = await post(t.app, '/auth/login', {
        identifier: leaving.email,
        password: leaving.password,
      });
      const erased = await call(t.app, 'DELETE', '/users/me', json(session).access_token, {
        password: leaving.password,
      });
      expect(erased.statusCode, erased.body).toBe(204);

      expect((await allIds({ created_after: since })).sort()).toEqual(
        [active, locked, disabled].sort(),
      );
      expect(await allIds({ created_after: since, status: 'locked' })).toEqual([locked]);
      expect(await allIds({ created_after: since, status: 'disabled' })).toEqual([disabled]);
      expect(await allIds({ created_after: since, status: 'active' })).toEqual([active]);
      expect(await allIds({ created_after: since, status: 'deleted' })).toEqual([leavingId]);
    });

    it('verified, role, created_after and created_before', async () => {
      const since = windowStart();
      const early = await register();
      t.clock.advance(1_000);
      const middleFrom = t.clock.now().toISOString();
      const middle = await register();
      t.clock.advance(1_000);
      const lateFrom = t.clock.now().toISOString();
      const late = await register();
      await markVerified(middle);
      await grantRoles(t, late, ['admin']);

      expect(await allIds({ created_after: since, verified: true })).toEqual([middle]);
      expect(await allIds({ created_after: since, verified: false })).toEqual([late, early]);
      expect(await allIds({ created_after: since, role: 'admin' })).toEqual([late]);
      expect(await allIds({ created_after: since, role: 'user' })).toEqual([late, middle, early]);
      expect(await allIds({ created_after: since, role: 'no-such-role' })).toEqual([]);
      expect(await allIds({ created_after: middleFrom })).toEqual([late, middle]);
      expect(await allIds({ created_after: since, created_before: middleFrom })).toEqual([early]);
      expect(await allIds({ created_after: middleFrom, created_before: lateFrom })).toEqual([
        middle,
      ]);
    });

    it('combines filters with search', async () => {
      const since = windowStart();
      const prefix = tag();
      const target = await register({ full_name: `${prefix} Target` });
      const unverified = await register({ full_name: `${prefix} Unverified` });
      const locked = await register({ full_name: `${prefix} Locked` });
      const otherName = await register({ full_name: 'Someone Else' });
      for (const id of [target, locked, otherName]) await markVerified(id);
      await setStatus(locked, 'locked');
      for (const id of [target, unverified, locked, otherName]) await grantRoles(t, id, ['admin']);

      const query = { q: prefix, role: 'admin', status: 'active', verified: true };
      expect(await allIds({ ...query, created_after: since })).toEqual([target]);
      expect(await allIds({ ...query, status: 'locked' })).toEqual([locked]);
      expect(await allIds({ ...query, verified: false })).toEqual([unverified]);
      expect(await allIds({ ...query, created_before: since })).toEqual([]);
    });
  });

  describe('bad input', () => {
    const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
    const cases: [string, Record<string, string>][] = [
      ['q', { q: '' }],
      ['q', { q: '   ' }],
      ['q', { q: 'a'.repeat(101) }],
      ['q', { q: 'nul\u0000byte' }],
      ['role', { role: 'Not A Role' }],
      ['status', { status: 'gone' }],
      ['verified', { verified: 'maybe' }],
      ['created_after', { created_after: 'yesterday' }],
      ['created_after', { created_after: '2024-02-30T00:00:00Z' }],
      ['created_before', { created_before: '2024-01-01' }],
      ['cursor', { cursor: 'not a cursor' }],
      [
        'cursor',
        { cursor: cursorOf('2024-02-30T00:00:00.000000Z|6d2b3c1e-0000-4000-8000-000000000000') },
      ],
      ['cursor', { cursor: cursorOf('2024-01-01T00:00:00.000000Z|not-a-uuid') }],
      ['cursor', { cursor: cursorOf('2024-01-01T00:00:00Z|6d2b3c1e-0000-4000-8000-000000000000') }],
      [
        'cursor',
        { cursor: cursorOf('2024-01-01T00:00:00.000000Z|6d2b3c1e-0000-4000-8000-000000000000|x') },
      ],
    ];
    it.each(cases)('422 naming %s for %j', async (field, query) => {
      const body = expectProblem(await list(query), 422, 'validation_failed');
      expect(problemFields(body)).toEqual([field]);
    });

    it('a cursor that was handed out keeps working', async () => {
      const body = await page({ limit: 1 });
      expect(body.next_cursor).not.toBeNull();
      const next = await list({ limit: 1, cursor: body.next_cursor! });
      expect(next.statusCode, next.body).toBe(200);
    });
  });
});
