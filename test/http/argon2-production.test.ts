import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, json, newAccount, post, tempDir, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { meStatus, rowsOf } from '../helpers/http.js';
import { expectProblem } from '../helpers/problem.js';

/** DESIGN §4: argon2id m=19456 KiB, t=2, p=1. */
const PRODUCTION_ENV = {
  PASSWORD_HASH_MEMORY_KIB: '19456',
  PASSWORD_HASH_ITERATIONS: '2',
  PASSWORD_HASH_PARALLELISM: '1',
};
const PRODUCTION_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';
const CHEAP_PREFIX = '$argon2id$v=19$m=1024,t=1,p=1$';

async function storedHash(t: TestApp, userId: string): Promise<string> {
  const result = await t.gatehouse.database.db.execute(
    sql`SELECT password_hash FROM users WHERE id = ${userId}`,
  );
  const [row] = rowsOf<{ password_hash: string }>(result);
  return row!.password_hash;
}

async function registerAndLogIn(t: TestApp, account = newAccount()) {
  const registered = await post(t.app, '/auth/register', account);
  expect(registered.statusCode, registered.body).toBe(201);
  return { account, userId: json(registered).user.id as string };
}

describe('argon2 with production parameters', () => {
  let apps: TestApp[] = [];
  let databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.allSettled(apps.map((a) => a.stop()));
    await Promise.allSettled(databases.map((d) => d.drop()));
    apps = [];
    databases = [];
  });

  it('registers and logs in, storing an m=19456,t=2,p=1 argon2id hash', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const t = await buildTestApp({ db, env: PRODUCTION_ENV });
    apps.push(t);
    expect(t.config.passwords).toMatchObject({
      hashMemoryKib: 19_456,
      hashIterations: 2,
      hashParallelism: 1,
    });

    const { account, userId } = await registerAndLogIn(t);
    const hash = await storedHash(t, userId);
    expect(hash.startsWith(PRODUCTION_PREFIX)).toBe(true);
    expect(hash).not.toContain(account.password);

    const login = await post(t.app, '/auth/login', {
      identifier: account.email,
      password: account.password,
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(await meStatus(t.app, json(login).access_token)).toBe(200);
    // A login with current parameters leaves the hash alone.
    expect(await storedHash(t, userId)).toBe(hash);

    expectProblem(
      await post(t.app, '/auth/login', { identifier: account.email, password: 'Wrong-Pass-1' }),
      401,
      'invalid_credentials',
    );
  });

  it('upgrades a hash made with other parameters on the next login', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const env = { DATA_DIR: tempDir('data-') };

    // First life: the cheap test parameters.
    const cheap = await buildTestApp({ db, env });
    apps.push(cheap);
    const { account, userId } = await registerAndLogIn(cheap);
    const oldHash = await storedHash(cheap, userId);
    expect(oldHash.startsWith(CHEAP_PREFIX)).toBe(true);
    await cheap.stop();

    // Second life: production parameters on the same database.
    const production = await buildTestApp({
      db,
      env: { ...env, ...PRODUCTION_ENV },
      clock: cheap.clock,
    });
    apps.push(production);

    // A wrong password does not upgrade anything.
    expectProblem(
      await post(production.app, '/auth/login', {
        identifier: account.username,
        password: 'Wrong-Pass-1',
      }),
      401,
      'invalid_credentials',
    );
    expect(await storedHash(production, userId)).toBe(oldHash);

    const login = await post(production.app, '/auth/login', {
      identifier: account.username,
      password: account.password,
    });
    expect(login.statusCode, login.body).toBe(200);
    const newHash = await storedHash(production, userId);
    expect(newHash.startsWith(PRODUCTION_PREFIX)).toBe(true);
    expect(newHash).not.toBe(oldHash);

    // The upgraded hash verifies the same password, and only that one.
    const again = await post(production.app, '/auth/login', {
      identifier: account.email,
      password: account.password,
    });
    expect(again.statusCode).toBe(200);
    expect(await storedHash(production, userId)).toBe(newHash);
    expectProblem(
      await post(production.app, '/auth/login', {
        identifier: account.email,
        password: `${account.password}x`,
      }),
      401,
      'invalid_credentials',
    );
  });
});
