import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, tempDir, type TestApp } from './helpers/app.js';
import { TEST_DB_KIND } from './helpers/database.js';
import { registerUser } from './helpers/lifecycle.js';
import { readMailbox } from './helpers/mailbox.js';
import path from 'node:path';

function runCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** @see issue #4 — the worker and outbox commands. */
describe('worker CLI', () => {
  it.skipIf(TEST_DB_KIND !== 'pglite')(
    'worker refuses the embedded database (serve runs the worker there)',
    async () => {
      const result = await runCli(['worker'], { DATA_DIR: tempDir('cli-') });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('DATABASE_URL');
    },
  );

  it('outbox with an unknown action shows its usage', async () => {
    const result = await runCli(['outbox', 'frobnicate'], { DATA_DIR: tempDir('cli-') });
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
    let status = await runCli(['outbox', 'status'], env);
    expect(status.stderr).toBe('');
    expect(status.stdout).toContain('event: 1 pending, 0 failed');
    expect(status.stdout).toContain('mail: 1 pending, 0 failed');

    const once = await runCli(['worker', '--once'], env);
    expect(once.code, once.stderr).toBe(0);
    expect(JSON.parse(once.stdout)).toEqual({ delivered: 2, retried: 0, parked: 0 });
    expect(readMailbox(path.join(env.DATA_DIR!, 'mailbox'))).toHaveLength(1);

    await registerUser(t.app);
    await t.gatehouse.database.db.execute(sql`UPDATE outbox SET status = 'failed', attempts = 10`);
    status = await runCli(['outbox', 'status'], env);
    expect(status.stdout).toContain('event: 0 pending, 1 failed');
    const retry = await runCli(['outbox', 'retry'], env);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('2 failed outbox row(s) queued');
    status = await runCli(['outbox', 'status'], env);
    expect(status.stdout).toContain('mail: 1 pending, 0 failed');
  });
});
