import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openGatehouse, type Gatehouse } from '../src/gatehouse.js';
import { FAST_HASH_ENV, HARNESS_ENV, get, json, newAccount, post, tempDir } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

/**
 * `gatehouse admin create`, ADMIN_EMAIL/ADMIN_PASSWORD at start-up and `gatehouse keys rotate`
 * (issue #7), run as real processes against the project's database kind.
 */

const PASSWORD = 'Granite-Orchard-Lantern-42';

interface Target {
  env: Record<string, string>;
  open(extra?: Record<string, string>): Promise<Gatehouse>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database the CLI and an in-process Gatehouse take turns on (PGlite allows one at a time). */
async function target(): Promise<Target> {
  const env: Record<string, string> = {
    DATA_DIR: tempDir('admin-cli-'),
    // Without it the CLI rightly warns on stderr (keys and mail stored unencrypted).
    KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
    ...FAST_HASH_ENV,
  };
  let db: TestDatabase | undefined;
  if (process.env.GATEHOUSE_TEST_DB === 'postgres') {
    db = await createTestDatabase();
    env.DATABASE_URL = db.url!;
    cleanups.push(() => db!.drop());
  }
  return {
    env,
    async open(extra = {}) {
      const gatehouse = await openGatehouse(
        loadConfig({ ...env, ...HARNESS_ENV, LOG_LEVEL: 'silent', ...extra }),
        { logger: false, worker: 'manual' },
      );
      // Closed by the test (to let the CLI at the database) or at the end, once either way.
      let closing: Promise<void> | undefined;
      const close = () => (closing ??= gatehouse.close());
      cleanups.push(close);
      return { ...gatehouse, close };
    },
  };
}

async function loginOf(gatehouse: Gatehouse, identifier: string, password: string) {
  return post(gatehouse.app, '/auth/login', { identifier, password });
}

describe('gatehouse admin create', () => {
  it('creates a verified admin from ADMIN_PASSWORD, and running it again changes nothing', async () => {
    const t = await target();
    const first = await runCli(
      ['admin', 'create', '--email', 'Root@Example.com', '--name', 'Root'],
      {
        ...t.env,
        ADMIN_PASSWORD: PASSWORD,
      },
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^created admin Root@Example.com \(id [0-9a-f-]{36}\)\n$/);
    const again = await runCli(['admin', 'create', '--email', 'root@example.com'], {
      ...t.env,
      ADMIN_PASSWORD: 'Some-Other-Password-77',
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already an admin; nothing changed');

    const gatehouse = await t.open();
    // The second run did not replace the password.
    expect(
      (await loginOf(gatehouse, 'root@example.com', 'Some-Other-Password-77')).statusCode,
    ).toBe(401);
    const login = await loginOf(gatehouse, 'root@example.com', PASSWORD);
    expect(login.statusCode, login.body).toBe(200);
    const body = json(login);
    expect(decodeJwt(body.access_token).roles).toEqual(['admin', 'user']);
    expect(body.user).toMatchObject({ email_verified: true, full_name: 'Root' });
    expect((await get(gatehouse.app, '/roles', body.access_token)).statusCode).toBe(200);
  });

  it('reads the password from standard input, and refuses a weak one without creating anything', async () => {
    const t = await target();
    const weak = await runCli(
      ['admin', 'create', '--email', 'weak@example.com', '--password-stdin'],
      t.env,
      'password\n',
    );
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('password');
    const created = await runCli(
      ['admin', 'create', '--email', 'stdin@example.com', '--password-stdin'],
      t.env,
      `${PASSWORD}\n`,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const gatehouse = await t.open();
    expect((await loginOf(gatehouse, 'stdin@example.com', PASSWORD)).statusCode).toBe(200);
    expect((await loginOf(gatehouse, 'weak@example.com', 'password')).statusCode).toBe(401);
  });

  it('makes an existing account an admin, keeping its password', async () => {
    const t = await target();
    const account = newAccount();
    const before = await t.open();
    expect((await post(before.app, '/auth/register', account)).statusCode).toBe(201);
    await before.close();
    const result = await runCli(
      ['admin', 'create', '--email', account.email, '--password-stdin'],
      t.env,
      'Not-The-Password-123',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('it is now an admin (password unchanged)');
    const after = await t.open();
    const login = await loginOf(after, account.email, account.password);
    expect(decodeJwt(json(login).access_token).roles).toEqual(['admin', 'user']);
  });

  it('takes the password from ADMIN_PASSWORD_FILE like every other secret', async () => {
    const t = await target();
    const file = path.join(tempDir('admin-password-'), 'password');
    writeFileSync(file, `${PASSWORD}\n`);
    const result = await runCli(['admin', 'create', '--email', 'file@example.com'], {
      ...t.env,
      ADMIN_PASSWORD_FILE: file,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const gatehouse = await t.open();
    expect((await loginOf(gatehouse, 'file@example.com', PASSWORD)).statusCode).toBe(200);
  });

  it('explains what is missing: no email, no password, an unknown action', async () => {
    const t = await target();
    const noEmail = await runCli(['admin', 'create'], { ...t.env, ADMIN_PASSWORD: PASSWORD });
    expect(noEmail.code).toBe(2);
    expect(noEmail.stderr).toContain('--email');
    const noPassword = await runCli(['admin', 'create', '--email', 'a@example.com'], t.env);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('no password');
    const badEmail = await runCli(['admin', 'create', '--email', 'not-an-address'], {
      ...t.env,
      ADMIN_PASSWORD: PASSWORD,
    });
    expect(badEmail.code).toBe(2);
    expect(badEmail.stderr).toBe('admin create: email: must be a valid email address\n');
    const unknown = await runCli(['admin', 'delete'], t.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: gatehouse admin create');
  });
});

describe('ADMIN_EMAIL and ADMIN_PASSWORD at start-up', () => {
  it('create the first admin once; later starts with other values change nothing', async () => {
    const t = await target();
    const first = await t.open({ ADMIN_EMAIL: 'first@example.com', ADMIN_PASSWORD: PASSWORD });
    const login = await loginOf(first, 'first@example.com', PASSWORD);
    expect(decodeJwt(json(login).access_token).roles).toEqual(['admin', 'user']);
    await first.close();

    const second = await t.open({
      ADMIN_EMAIL: 'second@example.com',
      ADMIN_PASSWORD: 'Another-Strong-Password-5',
    });
    expect(
      (await loginOf(second, 'second@example.com', 'Another-Strong-Password-5')).statusCode,
    ).toBe(401);
    await second.close();
    const third = await t.open({
      ADMIN_EMAIL: 'first@example.com',
      ADMIN_PASSWORD: 'Changed-Pass-99x',
    });
    expect((await loginOf(third, 'first@example.com', PASSWORD)).statusCode).toBe(200);
  });

  // One process at a time owns a PGlite directory: the race needs PostgreSQL.
  it.runIf(process.env.GATEHOUSE_TEST_DB === 'postgres')(
    'two instances starting together make exactly one admin',
    async () => {
      const t = await target();
      const env = { ADMIN_EMAIL: 'race@example.com', ADMIN_PASSWORD: PASSWORD };
      const [a, b] = await Promise.all([t.open(env), t.open(env)]);
      const database = a.database;
      const rows = await database.query<{ count: number }>(
        'test_admin_count',
        `SELECT count(*)::int AS count FROM user_roles WHERE role_name = 'admin'`,
        [],
      );
      expect(rows[0]!.count).toBe(1);
      expect((await loginOf(b, 'race@example.com', PASSWORD)).statusCode).toBe(200);
    },
  );

  it('refuse to start with a password the policy refuses, saying why', async () => {
    const t = await target();
    await expect(
      t.open({ ADMIN_EMAIL: 'weak@example.com', ADMIN_PASSWORD: 'password' }),
    ).rejects.toThrow(/ADMIN_EMAIL\/ADMIN_PASSWORD: password: /);
  });
});

describe('gatehouse keys rotate', () => {
  it('old tokens still verify, new ones carry the new kid, JWKS publishes both', async () => {
    const t = await target();
    const account = newAccount();
    const before = await t.open();
    await post(before.app, '/auth/register', account);
    const oldToken = json(await loginOf(before, account.email, account.password)).access_token;
    const oldKid = decodeProtectedHeader(oldToken).kid;
    await before.close();

    const rotated = await runCli(['keys', 'rotate'], t.env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const newKid = /new signing key ([0-9a-f-]{36})/.exec(rotated.stdout)?.[1];
    expect(newKid).toBeDefined();
    expect(newKid).not.toBe(oldKid);

    const after = await t.open();
    expect((await get(after.app, '/auth/userinfo', oldToken)).statusCode).toBe(200);
    const newToken = json(await loginOf(after, account.email, account.password)).access_token;
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    expect((await get(after.app, '/auth/userinfo', newToken)).statusCode).toBe(200);
    const kids = json(await get(after.app, '/.well-known/jwks.json')).keys.map(
      (k: { kid: string }) => k.kid,
    );
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));

    const audit = await after.database.query<{ detail: { kid: string } }>(
      'test_keys_rotated',
      `SELECT detail FROM audit_events WHERE type = 'keys.rotated'`,
      [],
    );
    expect(audit.map((row) => row.detail.kid)).toEqual([newKid]);
  });

  it('is refused for HS256, whose key is configuration', async () => {
    const t = await target();
    const result = await runCli(['keys', 'rotate'], {
      ...t.env,
      JWT_ALGORITHM: 'HS256',
      JWT_SECRET_KEY: 'x'.repeat(40),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('JWT_SECRET_KEY');
  });
});
