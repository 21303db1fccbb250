import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../src/adapters/db/postgres.js';
import { TEST_DB_KIND } from './helpers/database.js';
import { tempDir } from './helpers/app.js';
import { runCli } from './helpers/cli.js';

describe('CLI', () => {
  it('stops with exit code 2 and one line per bad variable', async () => {
    const result = await runCli(['serve'], {
      PORT: 'eighty',
      JWT_ALGORITHM: 'none',
      DATABASE_URL: 'postgres://admin:s3cret-pass@',
      PASSWORD_MIN_LENGTH: '4',
    });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.startsWith('config error: '))).toBe(true);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('JWT_ALGORITHM');
    expect(result.stderr).toContain('PASSWORD_MIN_LENGTH');
    expect(result.stderr).toContain('DATABASE_URL');
    // A connection string may carry a password: it is never echoed.
    expect(result.stderr).not.toContain('s3cret-pass');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const result = await runCli(['frobnicate'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command');
  });

  it.skipIf(TEST_DB_KIND !== 'pglite')(
    'migrate applies migrations to embedded PGlite',
    async () => {
      const result = await runCli(['migrate'], { DATA_DIR: tempDir('cli-') });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('migrations applied (pglite)');
    },
  );
});

describe.skipIf(TEST_DB_KIND !== 'postgres')('migrations on PostgreSQL', () => {
  it('two replicas migrating at once do not collide (advisory lock)', async () => {
    const adminUrl = process.env.DATABASE_URL!;
    const name = `gatehouse_migrate_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const replicas = await Promise.all(
      [1, 2, 3].map(() => openPostgresDatabase({ url: url.toString(), poolSize: 2 })),
    );
    try {
      await Promise.all(replicas.map((r) => r.migrate()));
      const check = new pg.Client({ connectionString: url.toString() });
      await check.connect();
      const applied = await check.query(
        'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations',
      );
      const tables = await check.query(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'users'",
      );
      await check.end();
      expect(applied.rows[0].n).toBeGreaterThanOrEqual(1);
      expect(tables.rows[0].n).toBe(1);
      // The CLI form runs against the same server too.
      const cli = await runCli(['migrate'], { DATABASE_URL: url.toString() });
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain('migrations applied (postgres)');
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
