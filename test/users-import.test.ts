import { once } from 'node:events';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/index.js';
import type { Clock } from '../src/clock.js';
import { exportUsers } from '../src/modules/user-transfer/exporter.js';
import { importUsers, type ImportOptions } from '../src/modules/user-transfer/importer.js';
import { buildTestApp, get, json, newAccount, post, tempDir, type TestApp } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { createTestDatabase } from './helpers/database.js';

/** @see issue #7 — `gatehouse users import|export`, imported hashes upgraded at first login. */

const ARGON2I = 1;

/** Made with Werkzeug's generate_password_hash('correct horse battery staple', 'scrypt:16384:8:1'). */
const WERKZEUG_PASSWORD = 'correct horse battery staple';
const WERKZEUG_HASH =
  'scrypt:16384:8:1$UKfMM1Ot3sXvsnm7$1e2dba56f399c38cd58d3d89d03aafb0f350dffe81a7f7135641009ce942dcd1b24f291558f3ac52578dff220c9510b06d43fd7760509c21315e50fce7fa5f63';
/** Python hashlib.scrypt of the same password, salt "NaCl-salt-16byte", in passlib's layout. */
const PHC_SCRYPT_HASH =
  '$scrypt$ln=10,r=8,p=1$TmFDbC1zYWx0LTE2Ynl0ZQ$by9R1W30XoOme15C6qvnZsUn0xVYPqIzWEv5WDr2x7U';

interface LegacyAccount {
  email: string;
  username: string;
  password: string;
  hash: string;
}

/** One account per supported scheme, each with a password of its own. */
async function legacyAccounts(): Promise<LegacyAccount[]> {
  const bcryptB = newAccount();
  const bcryptY = newAccount();
  const argon2i = newAccount();
  const werkzeug = newAccount();
  const phc = newAccount();
  return [
    { ...bcryptB, hash: await bcryptHash(bcryptB.password, 4) },
    {
      ...bcryptY,
      hash: await bcryptHash(bcryptY.password, 4).then((h) => h.replace(/^\$2b\$/, '$$2y$$')),
    },
    {
      ...argon2i,
      hash: await argon2Hash(argon2i.password, { algorithm: ARGON2I, memoryCost: 256 }),
    },
    { ...werkzeug, password: WERKZEUG_PASSWORD, hash: WERKZEUG_HASH },
    { ...phc, password: WERKZEUG_PASSWORD, hash: PHC_SCRYPT_HASH },
  ];
}

/** The importer on the services of a running Gatehouse, as the CLI runs it. */
function importer(t: TestApp, clock: Clock = t.clock, progress: string[] = []) {
  return (options: ImportOptions) =>
    importUsers(
      {
        ...t.gatehouse.services,
        clock,
        progress: { write: (text: string) => progress.push(text) },
      },
      options,
    );
}

async function storedHash(database: Database, email: string): Promise<string> {
  const [row] = await database.query<{ hash: string }>(
    'test_stored_hash',
    'SELECT password_hash AS hash FROM users WHERE email = $1',
    [email],
  );
  return row!.hash;
}

async function userCount(database: Database): Promise<number> {
  const [row] = await database.query<{ n: number }>(
    'test_user_count',
    'SELECT count(*)::int AS n FROM users',
    [],
  );
  return row!.n;
}

async function login(t: TestApp, identifier: string, password: string) {
  return post(t.app, '/auth/login', { identifier, password });
}

function jsonl(rows: unknown[]): string {
  return rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n') + '\n';
}

describe('users import', () => {
  let t: TestApp;
  let run: ReturnType<typeof importer>;
  let dir: string;
  const argon2Prefix = () =>
    `$argon2id$v=19$m=${t.config.passwords.hashMemoryKib},t=${t.config.passwords.hashIterations},p=${t.config.passwords.hashParallelism}$`;

  beforeAll(async () => {
    t = await buildTestApp();
    run = importer(t);
    dir = tempDir('import-');
  });
  afterAll(async () => {
    await t.close();
  });

  it('JSONL: bcrypt, argon2i and scrypt users log in with their old password, then hold argon2id', async () => {
    const accounts = await legacyAccounts();
    const file = path.join(dir, 'legacy.jsonl');
    writeFileSync(
      file,
      jsonl(
        accounts.map((a, i) => ({
          email: a.email,
          username: a.username,
          full_name: `Legacy ${i}`,
          password_hash: a.hash,
          email_verified: true,
          created_at: '2019-04-01T10:00:00Z',
          metadata: { legacy_id: i },
          roles: i === 0 ? ['admin'] : [],
        })),
      ),
    );
    const summary = await run({ file });
    expect(summary).toMatchObject({ imported: accounts.length, rejectedTotal: 0, completed: true });

    for (const account of accounts) {
      const wrong = await login(t, account.email, `${account.password}!`);
      expect(wrong.statusCode).toBe(401);
      const response = await login(t, account.email, account.password);
      expect(response.statusCode, `${account.hash.slice(0, 10)}: ${response.body}`).toBe(200);
      const stored = await storedHash(t.gatehouse.database, account.email);
      expect(stored.startsWith(argon2Prefix()), stored).toBe(true);
      // The upgraded hash is the one that verifies from now on.
      expect((await login(t, account.username, account.password)).statusCode).toBe(200);
    }

    const first = await login(t, accounts[0]!.email, accounts[0]!.password);
    const me = json(await get(t.app, '/users/me', json(first).access_token));
    expect(me).toMatchObject({
      email: accounts[0]!.email,
      full_name: 'Legacy 0',
      email_verified: true,
      metadata: { legacy_id: 0 },
      created_at: '2019-04-01T10:00:00.000Z',
    });
    const info = json(await get(t.app, '/auth/userinfo', json(first).access_token));
    expect(info.roles).toEqual(expect.arrayContaining(['user', 'admin']));

    await t.deliver();
    const created = t.events.filter(
      (event) =>
        event.type === 'user.created' &&
        accounts.some((a) => (event.data as { email: string }).email === a.email),
    );
    expect(created).toHaveLength(accounts.length);
  });

  it('CSV: quoted metadata, ;-separated roles, yes/no flags', async () => {
    const [bcryptUser, , argon2iUser, werkzeugUser] = await legacyAccounts();
    const file = path.join(dir, 'legacy.csv');
    const rows = [bcryptUser!, argon2iUser!, werkzeugUser!].map(
      (a, i) =>
        `${a.email},${a.username},"Csv, User ${i}","${a.hash}",${i === 0 ? 'yes' : 'no'},"{""plan"":""pro"",""n"":${i}}",user;admin`,
    );
    writeFileSync(
      file,
      `email,username,full_name,password_hash,email_verified,metadata,roles\r\n${rows.join('\r\n')}\r\n`,
    );
    const summary = await run({ file });
    expect(summary).toMatchObject({ imported: 3, rejectedTotal: 0 });

    for (const [i, account] of [bcryptUser!, argon2iUser!, werkzeugUser!].entries()) {
      const response = await login(t, account.username, account.password);
      expect(response.statusCode, response.body).toBe(200);
      expect(
        (await storedHash(t.gatehouse.database, account.email)).startsWith(argon2Prefix()),
      ).toBe(true);
      const me = json(await get(t.app, '/users/me', json(response).access_token));
      expect(me).toMatchObject({
        full_name: `Csv, User ${i}`,
        email_verified: i === 0,
        metadata: { plan: 'pro', n: i },
      });
    }
  });

  it('rejects bad, duplicate, unsupported and unknown-role rows by line, and imports the rest', async () => {
    const existing = newAccount();
    expect((await post(t.app, '/auth/register', existing)).statusCode).toBe(201);
    const good = [newAccount(), newAccount(), newAccount()];
    const hash = await bcryptHash(good[0]!.password, 4);
    const dupe = newAccount();
    const file = path.join(dir, 'mixed.jsonl');
    writeFileSync(
      file,
      jsonl([
        { email: good[0]!.email, password_hash: hash }, // 1
        { email: 'not-an-email', password_hash: hash }, // 2
        { email: dupe.email, username: dupe.username }, // 3
        { email: dupe.email.toUpperCase() }, // 4: duplicate of line 3 (emails ignore case)
        { email: existing.email, password_hash: hash }, // 5: already registered
        { email: good[1]!.email, password_hash: '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/' }, // 6
        { email: good[2]!.email, roles: ['no-such-role'] }, // 7
        '{"email": "broken@example.com"', // 8
        { username: 'a' }, // 9: too short
        {}, // 10: no identifier
        { email: good[1]!.email, username: good[1]!.username, roles: ['admin'] }, // 11
        { id: 'not-a-uuid', email: good[2]!.email }, // 12
      ]),
    );
    const rejects = path.join(dir, 'mixed.rejects.jsonl');
    const summary = await run({ file, rejectsPath: rejects });
    expect(summary).toMatchObject({
      imported: 3,
      rejectedTotal: 9,
      rejected: {
        invalid_email: 1,
        duplicate: 1,
        already_exists: 1,
        unsupported_hash: 1,
        unknown_role: 1,
        invalid_row: 1,
        invalid_username: 1,
        missing_identifier: 1,
        invalid_field: 1,
      },
      completed: true,
    });
    const report = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { line: number; reason: string });
    expect(report.map((r) => [r.line, r.reason])).toEqual([
      [2, 'invalid_email'],
      [4, 'duplicate'],
      [5, 'already_exists'],
      [6, 'unsupported_hash'],
      [7, 'unknown_role'],
      [8, 'invalid_row'],
      [9, 'invalid_username'],
      [10, 'missing_identifier'],
      [12, 'invalid_field'],
    ]);
    expect(readFileSync(rejects, 'utf8')).not.toContain('$2b$');
    expect(readFileSync(rejects, 'utf8')).not.toContain('$1$');
    // The registered account keeps its own password; the file's hash did not replace it.
    expect((await login(t, existing.email, existing.password)).statusCode).toBe(200);
    expect((await login(t, good[0]!.email, good[0]!.password)).statusCode).toBe(200);
  });

  it('records one users.imported audit event per run, with counts and no actor', async () => {
    const rows = await t.gatehouse.database.query<{ actor: string | null; detail: any }>(
      'test_import_audit',
      `SELECT actor_user_id AS actor, detail FROM audit_events WHERE type = 'users.imported'
       ORDER BY seq`,
      [],
    );
    expect(rows).toHaveLength(3); // the three runs above
    expect(rows.every((row) => row.actor === null)).toBe(true);
    expect(rows[2]!.detail).toMatchObject({
      file: 'mixed.jsonl',
      imported: 3,
      rejected: 9,
      rejected_duplicate: 1,
    });
  });

  it('resumes after the last committed batch: no row twice, none lost', async () => {
    const accounts = Array.from({ length: 25 }, () => newAccount());
    const hash = await bcryptHash('Unused-Password-Here-1', 4);
    const file = path.join(dir, 'resume.jsonl');
    writeFileSync(
      file,
      jsonl(accounts.map((a) => ({ email: a.email, username: a.username, password_hash: hash }))),
    );
    const before = await userCount(t.gatehouse.database);

    const first = await run({ file, batchSize: 10, stopAfter: 13 });
    expect(first).toMatchObject({ imported: 13, rowsRead: 13, completed: false });
    expect(await userCount(t.gatehouse.database)).toBe(before + 13);

    const second = await run({ file, batchSize: 10 });
    expect(second).toMatchObject({
      resumedAfterLine: 13,
      rowsRead: 12,
      imported: 25,
      rejectedTotal: 0,
      completed: true,
    });
    expect(await userCount(t.gatehouse.database)).toBe(before + 25);

    // Done: a third run reads nothing; --restart reads everything again, all already there.
    expect(await run({ file })).toMatchObject({ rowsRead: 0, imported: 25 });
    expect(await run({ file, restart: true })).toMatchObject({
      rowsRead: 25,
      imported: 0,
      rejected: { already_exists: 25 },
    });
  });

  it('resumes around batches a parallel run committed ahead of an earlier one', async () => {
    const accounts = Array.from({ length: 15 }, () => newAccount());
    const file = path.join(dir, 'ahead.jsonl');
    writeFileSync(file, jsonl(accounts.map((a) => ({ email: a.email, username: a.username }))));
    const statePath = path.join(dir, 'ahead.state.json');
    await run({ file, statePath, batchSize: 5 });
    // As if lines 6-10 committed and the run died before lines 1-5 and 11-15 did.
    const gone = [...accounts.slice(0, 5), ...accounts.slice(10)].map((a) => a.email);
    await t.gatehouse.database.query(
      'test_delete_users',
      'DELETE FROM users WHERE email = ANY($1::text[])',
      [gone],
    );
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    writeFileSync(
      statePath,
      JSON.stringify({
        ...state,
        line: 0,
        committedAhead: [[5, 10]],
        imported: 5,
        completed: false,
      }),
    );
    const summary = await run({ file, statePath, batchSize: 5 });
    expect(summary).toMatchObject({
      rowsRead: 10,
      imported: 15,
      rejectedTotal: 0,
      completed: true,
    });
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({
      line: 15,
      committedAhead: [],
    });
    const [present] = await t.gatehouse.database.query<{ n: number }>(
      'test_count_emails',
      'SELECT count(*)::int AS n FROM users WHERE email = ANY($1::text[])',
      [accounts.map((a) => a.email)],
    );
    expect(present!.n).toBe(15);
  });

  it('CSV rows with the wrong field count are rejected by line, not fatal', async () => {
    const [a, b] = [newAccount(), newAccount()];
    const file = path.join(dir, 'ragged.csv');
    writeFileSync(
      file,
      `email,username\n${a.email},${a.username}\nonly-one-field\n${b.email},${b.username}\n`,
    );
    const rejects = path.join(dir, 'ragged.rejects.jsonl');
    expect(await run({ file, rejectsPath: rejects })).toMatchObject({
      imported: 2,
      rejected: { invalid_row: 1 },
    });
    expect(JSON.parse(readFileSync(rejects, 'utf8'))).toMatchObject({
      line: 3,
      reason: 'invalid_row',
      message: 'has 1 fields, the header has 2',
    });
  });

  it('an aborted run (Ctrl-C) commits what it read and resumes from there', async () => {
    const accounts = Array.from({ length: 8 }, () => newAccount());
    const file = path.join(dir, 'abort.jsonl');
    writeFileSync(file, jsonl(accounts.map((a) => ({ email: a.email }))));
    const controller = new AbortController();
    controller.abort();
    expect(await run({ file, signal: controller.signal })).toMatchObject({
      rowsRead: 1,
      imported: 1,
      completed: false,
    });
    expect(await run({ file })).toMatchObject({ rowsRead: 7, imported: 8, completed: true });
  });

  it('refuses a checkpoint of another file version (exit 2 territory), unless --restart', async () => {
    const file = path.join(dir, 'changed.jsonl');
    writeFileSync(file, jsonl([{ email: newAccount().email }]));
    await run({ file, stopAfter: 1 });
    writeFileSync(file, jsonl([{ email: newAccount().email }, { email: newAccount().email }]));
    await expect(run({ file })).rejects.toThrow(/--restart/);
    expect(await run({ file, restart: true })).toMatchObject({ imported: 2 });
  });

  it('--no-events imports without user.created events', async () => {
    const account = newAccount();
    const file = path.join(dir, 'quiet.jsonl');
    writeFileSync(file, jsonl([{ email: account.email }]));
    await t.deliver();
    const seen = t.events.length;
    expect(await run({ file, events: false })).toMatchObject({ imported: 1 });
    await t.deliver();
    expect(t.events.slice(seen).filter((e) => e.type === 'user.created')).toHaveLength(0);
  });

  it('reports progress as plain lines when stderr is not a terminal', async () => {
    const progress: string[] = [];
    const file = path.join(dir, 'progress.jsonl');
    writeFileSync(file, jsonl([{ email: newAccount().email }]));
    await importer(t, t.clock, progress)({ file });
    expect(progress.join('')).toMatch(/^import: 100\.0%\s+1 rows\s+[\d,]+ rows\/s$/m);
    expect(progress.join('')).not.toContain('\r');
  });
});

describe('users export', () => {
  it('round-trips into a fresh database: same ids, identifiers, roles, metadata, times, hashes', async () => {
    const source = await buildTestApp();
    try {
      const dir = tempDir('export-');
      const accounts = await legacyAccounts();
      const file = path.join(dir, 'seed.jsonl');
      writeFileSync(
        file,
        jsonl(
          accounts.map((a, i) => ({
            email: a.email,
            username: i % 2 ? a.username : undefined,
            full_name: `Name "${i}", quoted`,
            password_hash: a.hash,
            email_verified_at: i % 2 ? '2020-01-02T03:04:05.678Z' : undefined,
            created_at: `2021-0${i + 1}-01T00:00:00Z`,
            metadata: { i, nested: { list: [1, 'two'] } },
            roles: i === 1 ? ['admin'] : [],
          })),
        ),
      );
      await importer(source)({ file });
      const registered = newAccount();
      expect((await post(source.app, '/auth/register', registered)).statusCode).toBe(201);

      for (const format of ['jsonl', 'csv'] as const) {
        const exported = path.join(dir, `export.${format}`);
        await exportTo(source, exported, format);
        const targetDb = await createTestDatabase();
        try {
          const target = await buildTestApp({ db: targetDb, clock: source.clock });
          const summary = await importer(target)({ file: exported });
          expect(summary).toMatchObject({ imported: accounts.length + 1, rejectedTotal: 0 });
          const reexported = path.join(dir, `reexport.${format}`);
          await exportTo(target, reexported, format);
          await target.stop();
          expect(readFileSync(reexported, 'utf8')).toBe(readFileSync(exported, 'utf8'));
        } finally {
          await targetDb.drop();
        }
      }
      const lines = readFileSync(path.join(dir, 'export.jsonl'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(accounts.length + 1);
      expect(JSON.parse(lines[1]!)).toMatchObject({
        email: accounts[1]!.email,
        username: accounts[1]!.username,
        email_verified: true,
        email_verified_at: '2020-01-02T03:04:05.678Z',
        created_at: '2021-02-01T00:00:00.000Z',
        roles: ['admin', 'user'],
        password_hash: accounts[1]!.hash,
      });
    } finally {
      await source.close();
    }
  });

  it('leaves password hashes out unless asked', async () => {
    const t = await buildTestApp();
    try {
      expect((await post(t.app, '/auth/register', newAccount())).statusCode).toBe(201);
      const file = path.join(tempDir('export-'), 'out.csv');
      await exportTo(t, file, 'csv', false);
      const [header, row] = readFileSync(file, 'utf8').trim().split('\n');
      expect(header).toBe(
        'id,email,username,full_name,email_verified,email_verified_at,created_at,metadata,roles',
      );
      expect(row).not.toContain('$argon2id$');
    } finally {
      await t.close();
    }
  });
});

async function exportTo(
  t: TestApp,
  file: string,
  format: 'jsonl' | 'csv',
  includePasswordHashes = true,
) {
  const output = createWriteStream(file);
  await exportUsers(t.gatehouse.services, output, { format, includePasswordHashes, pageSize: 2 });
  output.end();
  await once(output, 'finish');
}

describe('users CLI', () => {
  let env: Record<string, string>;
  let drop: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = () => database.drop();
    env = { LOG_LEVEL: 'silent', DATA_DIR: tempDir('users-cli-') };
    if (database.url) env.DATABASE_URL = database.url;
  });
  afterAll(async () => {
    await drop();
  });

  it('answers usage errors with exit code 2', async () => {
    for (const args of [
      ['users'],
      ['users', 'import', 'a.jsonl', 'b.jsonl'],
      ['users', 'import', 'x.jsonl', '--batch-size', '0'],
      ['users', 'import', path.join(env.DATA_DIR!, 'missing.jsonl')],
      ['users', 'import', 'package.json'],
      ['users', 'export', '--format', 'xml'],
    ]) {
      const result = await runCli(args, env);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/users/);
    }
  }, 90_000);

  it('imports a file with a summary and progress, stops early on request, resumes, exports', async () => {
    const hash = await bcryptHash('Some-Old-Password-9', 4);
    const file = path.join(env.DATA_DIR!, 'people.jsonl');
    const accounts = Array.from({ length: 6 }, () => newAccount());
    writeFileSync(
      file,
      jsonl([
        ...accounts.map((a) => ({ email: a.email, username: a.username, password_hash: hash })),
        { email: 'nope' },
      ]),
    );
    const rejects = path.join(env.DATA_DIR!, 'rejects.jsonl');
    const first = await runCli(
      ['users', 'import', file, '--stop-after', '4', '--rejects', rejects],
      env,
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('imported: 4\n');
    expect(first.stdout).toContain('run the same command again to continue');
    expect(first.stderr).toMatch(/import: .*rows\/s/);

    const second = await runCli(['users', 'import', file, '--rejects', rejects], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('resumed after line 4');
    expect(second.stdout).toContain('imported: 6\n');
    expect(second.stdout).toContain('rejected: 1\n  invalid_email: 1\n');
    expect(second.stdout).toMatch(/elapsed: [\d.]+ s, 3 rows read, [\d,]+ rows\/s/);
    expect(JSON.parse(readFileSync(rejects, 'utf8'))).toMatchObject({
      line: 7,
      reason: 'invalid_email',
    });

    const exported = await runCli(['users', 'export', '--format', 'csv'], env);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(exported.stdout).not.toContain('$2b$');
    for (const account of accounts) expect(exported.stdout).toContain(account.email);
  });
});
