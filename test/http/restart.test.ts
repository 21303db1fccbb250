import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import {
  buildTestApp,
  get,
  json,
  post,
  registerAndLogin,
  tempDir,
  type TestApp,
} from '../helpers/app.js';
import { createTestDatabase, TEST_DB_KIND, type TestDatabase } from '../helpers/database.js';
import { login, meStatus, refresh, rowsOf } from '../helpers/http.js';
import { expectProblem } from '../helpers/problem.js';

async function kidsOf(t: TestApp): Promise<string[]> {
  const response = await get(t.app, '/.well-known/jwks.json');
  expect(response.statusCode).toBe(200);
  return json(response)
    .keys.map((k: { kid: string }) => k.kid)
    .sort();
}

async function signingKeyCount(t: TestApp): Promise<number> {
  const result = await t.gatehouse.database.db.execute(
    sql`SELECT count(*)::int AS n FROM signing_keys`,
  );
  return Number(rowsOf<{ n: number }>(result)[0]!.n);
}

describe('restart and replicas', () => {
  // Everything a test opens, closed after it whatever happens.
  let apps: TestApp[] = [];
  let databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.allSettled(apps.map((a) => a.stop()));
    await Promise.allSettled(databases.map((d) => d.drop()));
    apps = [];
    databases = [];
  });

  async function database(options: { directory?: string } = {}) {
    const db = await createTestDatabase(options);
    databases.push(db);
    return db;
  }
  async function start(options: Parameters<typeof buildTestApp>[0]) {
    const t = await buildTestApp(options);
    apps.push(t);
    return t;
  }

  it('a restart keeps tokens valid and signing keys unchanged', async () => {
    // PGlite keeps its files in a directory so a closed instance can be reopened.
    const db = await database(TEST_DB_KIND === 'pglite' ? { directory: tempDir('pglite-') } : {});
    const env = { DATA_DIR: tempDir('data-') };
    const clock = new ManualClock();

    const before = await start({ db, env, clock });
    const session = await registerAndLogin(before.app);
    const kidsBefore = await kidsOf(before);
    expect(kidsBefore).toHaveLength(1);
    if (TEST_DB_KIND === 'pglite') {
      // Embedded mode seals the private key with a key file kept in DATA_DIR.
      expect(existsSync(path.join(env.DATA_DIR, 'keys', 'key-encryption.key'))).toBe(true);
    }

    // A real stop: the app and the database connection (PGlite: its files) are closed.
    await before.stop();
    await before.gatehouse.database.close();

    clock.advance(60_000);
    const after = await start({ db, env, clock });
    expect(await kidsOf(after)).toEqual(kidsBefore);
    expect(await signingKeyCount(after)).toBe(1);

    // The access token issued before the restart is still accepted.
    const me = await get(after.app, '/users/me', session.accessToken);
    expect(me.statusCode, me.body).toBe(200);
    expect(json(me).id).toBe(session.user.id);

    // The refresh token too, and what it mints works.
    const refreshed = await refresh(after.app, session.refreshToken);
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(await meStatus(after.app, json(refreshed).access_token)).toBe(200);

    // New logins sign with the same key.
    const again = await login(after.app, session.account.email, session.account.password);
    const header = JSON.parse(
      Buffer.from(again.accessToken.split('.')[0]!, 'base64url').toString('utf8'),
    );
    expect(header.kid).toBe(kidsBefore[0]);
  });

  it('a second instance on the same database shares keys, tokens and sessions', async () => {
    const db = await database();
    const env = { DATA_DIR: tempDir('data-') };
    const clock = new ManualClock();
    const a = await start({ db, env, clock });
    const b = await start({ db, env, clock });

    expect(await kidsOf(b)).toEqual(await kidsOf(a));
    expect(await signingKeyCount(a)).toBe(1);

    // Logged in on A: accepted by B, refreshed on B, logged out on B, dead on A.
    const session = await registerAndLogin(a.app);
    expect(json(await get(b.app, '/users/me', session.accessToken)).id).toBe(session.user.id);
    const refreshed = await refresh(b.app, session.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    const pair = json(refreshed);
    expect(await meStatus(a.app, pair.access_token)).toBe(200);
    // The spent token counts as reuse on A as well.
    expectProblem(await refresh(a.app, session.refreshToken), 401, 'invalid_token');
    expect(await meStatus(b.app, pair.access_token)).toBe(401);

    // Logged in on B, accepted on A; logout on B ends it on A.
    const other = await login(b.app, session.account.username, session.account.password);
    expect(await meStatus(a.app, other.accessToken)).toBe(200);
    expect((await post(b.app, '/auth/logout', undefined, other.accessToken)).statusCode).toBe(204);
    expect(await meStatus(a.app, other.accessToken)).toBe(401);

    // Accounts are shared: a username taken on A conflicts on B.
    const taken = await post(b.app, '/auth/register', {
      ...session.account,
      email: `other-${session.account.email}`,
    });
    expect(expectProblem(taken, 409, 'conflict').errors[0].field).toBe('username');
  });

  it('two instances starting together on a brand-new database create exactly one key', async () => {
    const db = await database();
    const env = { DATA_DIR: tempDir('data-') };
    const clock = new ManualClock();
    const [a, b] = await Promise.all([start({ db, env, clock }), start({ db, env, clock })]);

    expect(await signingKeyCount(a!)).toBe(1);
    const kids = await kidsOf(a!);
    expect(kids).toHaveLength(1);
    expect(await kidsOf(b!)).toEqual(kids);

    // Each signs with the one key, and each accepts the other's tokens.
    const onA = await registerAndLogin(a!.app);
    const onB = await registerAndLogin(b!.app);
    expect(await meStatus(b!.app, onA.accessToken)).toBe(200);
    expect(await meStatus(a!.app, onB.accessToken)).toBe(200);
    for (const token of [onA.accessToken, onB.accessToken]) {
      const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
      expect(header.kid).toBe(kids[0]);
    }
  });

  it.runIf(TEST_DB_KIND === 'postgres')(
    'four instances starting together on PostgreSQL still create exactly one key',
    async () => {
      const db = await database();
      const clock = new ManualClock();
      const started = await Promise.all(
        Array.from({ length: 4 }, () => start({ db, clock, env: { DATA_DIR: tempDir('data-') } })),
      );
      expect(await signingKeyCount(started[0]!)).toBe(1);
      const kids = await kidsOf(started[0]!);
      for (const t of started) expect(await kidsOf(t)).toEqual(kids);
      const session = await registerAndLogin(started[3]!.app);
      for (const t of started) expect(await meStatus(t.app, session.accessToken)).toBe(200);
    },
  );
});

describe('start-up with the wrong key-encryption key', () => {
  it('refuses to start instead of failing every login', async () => {
    const db = await createTestDatabase({ directory: tempDir('wrong-kek-') });
    const first = await buildTestApp({ db, env: { KEY_ENCRYPTION_KEY: 'k'.repeat(40) } });
    await first.stop();
    await expect(buildTestApp({ db, env: { KEY_ENCRYPTION_KEY: 'z'.repeat(40) } })).rejects.toThrow(
      /cannot be decrypted/,
    );
    await db.drop();
  });
});
