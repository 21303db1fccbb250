import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, tempDir, type TestApp } from './helpers/app.js';
import { TEST_DB_KIND } from './helpers/database.js';
import { registerUser } from './helpers/lifecycle.js';
import { readMailbox } from './helpers/mailbox.js';
import { runCli } from './helpers/cli.js';
import path from 'node:path';

/** The worker commands log at info by default; these tests read stdout only. */
const runQuiet = (args: string[], env: Record<string, string>) =>
  runCli(args, { LOG_LEVEL: 'silent', ...env });

/** @see issue #4 — the worker and outbox commands. */
describe('worker CLI', () => {
  it.skipIf(TEST_DB_KIND !== 'pglite')(
    'worker refuses the embedded database (serve runs the worker there)',
    async () => {
      const result = await runQuiet(['worker'], { DATA_DIR: tempDir('cli-') });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('DATABASE_URL');
    },
  );

  it('outbox with an unknown action shows its usage', async () => {
    const result = await runQuiet(['outbox', 'frobnicate'], { DATA_DIR: tempDir('cli-') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('outbox status|retry');
  });
});

describe.skipIf(TEST_DB_KIND !== 'postgres')('worker and outbox on PostgreSQL', () => {
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await buildTestApp();
    env = { DATABASE_URL: t.db.url!, DATA_DIR: tempDir('worker-') };
  });
  afterAll(async () => {
    await t.close();
  });

  it('outbox status counts, worker --once delivers, outbox retry requeues parked rows', async () => {
    await registerUser(t.app);
    let status = await runQuiet(['outbox', 'status'], env);
    expect(status.stderr).toBe('');
    expect(status.stdout).toContain('event: 1 pending, 0 failed');
    expect(status.stdout).toContain('mail: 1 pending, 0 failed');

    const once = await runQuiet(['worker', '--once'], env);
    expect(once.code, once.stderr).toBe(0);
    expect(JSON.parse(once.stdout)).toEqual({ delivered: 2, retried: 0, parked: 0 });
    expect(readMailbox(path.join(env.DATA_DIR!, 'mailbox'))).toHaveLength(1);

    await registerUser(t.app);
    await t.gatehouse.database.db.execute(sql`UPDATE outbox SET status = 'failed', attempts = 10`);
    status = await runQuiet(['outbox', 'status'], env);
    expect(status.stdout).toContain('event: 0 pending, 1 failed');
    const retry = await runQuiet(['outbox', 'retry'], env);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('2 failed outbox row(s) queued');
    status = await runQuiet(['outbox', 'status'], env);
    expect(status.stdout).toContain('mail: 1 pending, 0 failed');
  });
});
