import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openPgliteDatabase } from '../../src/adapters/db/pglite.js';
import { openPostgresDatabase } from '../../src/adapters/db/postgres.js';
import type { Database } from '../../src/adapters/db/index.js';
import { PGLITE_TEMPLATE } from './paths.js';

export type TestDatabaseKind = 'pglite' | 'postgres';

/** Which database this Vitest project runs against (set per project in vitest.config.ts). */
export const TEST_DB_KIND: TestDatabaseKind =
  process.env.GATEHOUSE_TEST_DB === 'postgres' ? 'postgres' : 'pglite';

/**
 * A database of its own for one suite. PGlite: an in-memory copy of the migrated template, or
 * a copy in `directory` when the suite restarts the app on the same files. PostgreSQL: a fresh
 * database created on the server of DATABASE_URL, migrated, dropped by `drop()`.
 */
export interface TestDatabase {
  kind: TestDatabaseKind;
  /** Opens a connection (a new one each call for PostgreSQL; the one instance for PGlite). */
  open(): Promise<Database>;
  /** PostgreSQL URL of this database (undefined on PGlite). */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(
  options: { directory?: string } = {},
): Promise<TestDatabase> {
  if (TEST_DB_KIND === 'pglite') {
    const template = new Blob([readFileSync(PGLITE_TEMPLATE)]);
    // Chained: concurrent open() calls (two apps starting together) share one instance.
    let instance: Promise<Database | undefined> = Promise.resolve(undefined);
    let everOpened = false;
    const directory = options.directory ?? 'memory://';
    return {
      kind: 'pglite',
      url: undefined,
      open() {
        const opening = instance.then(async (current) => {
          // A PGlite directory belongs to one instance: reopen after close, share while open.
          if (current && !(await isClosed(current))) return current;
          const reopening = directory !== 'memory://' && everOpened;
          const opened = await openPgliteDatabase(directory, reopening ? undefined : template);
          everOpened = true;
          return opened;
        });
        instance = opening.catch(() => undefined);
        return opening;
      },
      async drop() {
        await (await instance)?.close();
      },
    };
  }

  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('DATABASE_URL is required for PostgreSQL tests');
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const opened: Database[] = [];
  const first = await openPostgresDatabase({ url: url.toString(), poolSize: 5 });
  await first.migrate();
  await first.close();
  return {
    kind: 'postgres',
    url: url.toString(),
    async open() {
      const database = await openPostgresDatabase({ url: url.toString(), poolSize: 10 });
      opened.push(database);
      return database;
    },
    async drop() {
      await Promise.allSettled(opened.map((d) => d.close()));
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function isClosed(database: Database): Promise<boolean> {
  try {
    await database.ping();
    return false;
  } catch {
    return true;
  }
}
