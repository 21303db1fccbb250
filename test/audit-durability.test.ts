import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/index.js';
import { openPgliteDatabase } from '../src/adapters/db/pglite.js';
import { FAST_HASH_ENV, newAccount, tempDir } from './helpers/app.js';
import { createTestDatabase } from './helpers/database.js';

/**
 * @see issue #14 — the audit row is as durable as the change it describes. The old design
 * wrote it after the commit (and swallowed its errors), so a crash in between lost it; now it
 * is written in the change's transaction. A real process is killed right after COMMIT.
 */
describe('audit durability', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a process killed right after the commit leaves the change and its audit row', async () => {
    const env: Record<string, string> = {
      DATA_DIR: tempDir('crash-'),
      LOG_LEVEL: 'silent',
      KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
      ...FAST_HASH_ENV,
    };
    if (process.env.GATEHOUSE_TEST_DB === 'postgres') {
      const db = await createTestDatabase();
      cleanups.push(() => db.drop());
      env.DATABASE_URL = db.url!;
    }
    const account = newAccount();

    const exit = await runChild(
      ['test/helpers/crash-after-commit.ts', account.email, account.password],
      env,
    );
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });

    const database: Database = env.DATABASE_URL
      ? await (
          await import('../src/adapters/db/postgres.js')
        ).openPostgresDatabase({
          url: env.DATABASE_URL,
          poolSize: 1,
        })
      : await openPgliteDatabase(path.join(env.DATA_DIR!, 'pglite'));
    cleanups.push(() => database.close());
    const users = await database.query<{ id: string }>(
      'test_crashed_user',
      'SELECT id FROM users WHERE email = $1',
      [account.email],
    );
    // The kill came after the commit: the account exists…
    expect(users).toHaveLength(1);
    const audit = await database.query<{ type: string; actor: string | null }>(
      'test_crashed_audit',
      'SELECT type, actor_user_id AS actor FROM audit_events WHERE subject_user_id = $1',
      [users[0]!.id],
    );
    // …and so does its audit row, with the event for the platform.
    expect(audit).toEqual([{ type: 'user.created', actor: users[0]!.id }]);
    const outbox = await database.query<{ type: string }>(
      'test_crashed_outbox',
      `SELECT type FROM outbox WHERE subject = $1 AND kind = 'event'`,
      [users[0]!.id],
    );
    expect(outbox).toEqual([{ type: 'user.created' }]);
  }, 120_000);
});

function runChild(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}
