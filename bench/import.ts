/**
 * Import benchmark: `npm run bench:import`.
 *
 * Creates a throw-away PostgreSQL database, writes a JSONL file of BENCH_IMPORT_ROWS users
 * (default 100,000) with bcrypt hashes, and runs `gatehouse users import` on it through the CLI
 * module itself (`usersCommand`: open, migrate, stream, validate, batch insert, checkpoint,
 * audit). Prints rows/s of the whole command and of the import alone; the target is > 5,000.
 * The database and the file are removed afterwards, also on failure.
 *
 * The importer only checks a hash's format, so a small pool of real bcrypt hashes (cost 4) is
 * reused across rows: generating 100,000 distinct bcrypt hashes would benchmark bcrypt.
 *
 * Env: DATABASE_URL (admin connection, default postgres://postgres@127.0.0.1:5432/test),
 *      BENCH_IMPORT_ROWS (default 100000), BENCH_IMPORT_CONCURRENCY (batches written at once,
 *      default: the importer's own, 4).
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { usersCommand } from '../src/cli/users.js';
import { DEFAULT_ADMIN_URL, createBenchDatabase } from './lib/database.js';

const TARGET_ROWS_PER_SECOND = 5_000;
const HASH_POOL_SIZE = 16;

/** Writes `rows` users as JSONL; every tenth holds the `admin` role besides `user`. */
async function writeUsersFile(file: string, rows: number): Promise<void> {
  const hashes = await Promise.all(
    Array.from({ length: HASH_POOL_SIZE }, (_, i) => bcryptHash(`Bench-Password-${i}`, 4)),
  );
  const output = createWriteStream(file);
  const created = Date.UTC(2020, 0, 1);
  for (let i = 0; i < rows; i += 1) {
    const line = JSON.stringify({
      email: `bench.user${i}@example.com`,
      username: `bench_user${i}`,
      full_name: `Bench User ${i}`,
      password_hash: hashes[i % HASH_POOL_SIZE],
      email_verified: i % 3 !== 0,
      created_at: new Date(created + i * 1000).toISOString(),
      metadata: { source: 'bench', n: i },
      roles: i % 10 === 0 ? ['admin'] : [],
    });
    if (!output.write(`${line}\n`)) await once(output, 'drain');
  }
  output.end();
  await once(output, 'finish');
}

async function counts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, number>>(`
      SELECT (SELECT count(*)::int FROM users) AS users,
             (SELECT count(*)::int FROM user_roles) AS user_roles,
             (SELECT count(*)::int FROM outbox WHERE type = 'user.created') AS events`);
    return rows[0]!;
  } finally {
    await client.end();
  }
}

async function main(): Promise<number> {
  const rows = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);
  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-import-bench-'));
  const database = await createBenchDatabase(adminUrl);
  try {
    const file = path.join(dir, 'users.jsonl');
    const generating = performance.now();
    await writeUsersFile(file, rows);
    process.stderr.write(
      `generated ${rows.toLocaleString('en')} rows in ${((performance.now() - generating) / 1000).toFixed(1)} s\n`,
    );

    const config = loadConfig({
      DATABASE_URL: database.url,
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      PUBLIC_URL: 'http://gatehouse.bench',
    });
    const stdout = new PassThrough();
    let summary = '';
    stdout.on('data', (chunk) => (summary += chunk));
    const started = performance.now();
    const concurrency = process.env.BENCH_IMPORT_CONCURRENCY;
    const args = ['import', file, ...(concurrency ? ['--concurrency', concurrency] : [])];
    const code = await usersCommand(config, args, { stdout, stderr: process.stderr });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`users import exited with ${code}`);

    const stored = await counts(database.url);
    const importRate = Number(/([\d,]+) rows\/s/.exec(summary)?.[1]?.replace(/,/g, '') ?? NaN);
    const commandRate = rows / seconds;
    process.stdout.write(
      [
        summary.trimEnd(),
        '',
        `| measure | value |`,
        `| --- | --- |`,
        `| PostgreSQL | ${database.serverVersion} |`,
        `| machine | ${os.cpus().length} CPUs, load average ${os
          .loadavg()
          .map((n) => n.toFixed(1))
          .join(' ')} |`,
        `| rows | ${rows.toLocaleString('en')} (batches of 1,000, ${concurrency ?? 4} at a time) |`,
        `| stored | ${stored.users} users, ${stored.user_roles} role grants, ${stored.events} user.created events |`,
        `| whole command (open, migrate, import, audit) | ${seconds.toFixed(2)} s, ${Math.round(commandRate).toLocaleString('en')} rows/s |`,
        `| import loop (importer's own figure) | ${importRate.toLocaleString('en')} rows/s |`,
        `| target > ${TARGET_ROWS_PER_SECOND.toLocaleString('en')} rows/s | ${commandRate > TARGET_ROWS_PER_SECOND ? 'met' : 'NOT met'} |`,
        '',
      ].join('\n'),
    );
    if (stored.users !== rows) throw new Error(`expected ${rows} users, found ${stored.users}`);
    return 0;
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
