import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { sql } from 'drizzle-orm';
import * as schema from './schema.js';
import { MIGRATIONS_FOLDER, MIGRATION_LOCK_ID, type Database, type Db } from './types.js';

/**
 * Embedded PostgreSQL (WASM) persisted in a directory: the zero-setup default. `memory://`
 * keeps it in memory; `loadDataDir` starts from a dump (tests copy a migrated template).
 */
export interface PgliteDatabase extends Database {
  /** A tarball of the data directory, loadable with `openPgliteDatabase(dir, dump)`. */
  dump(): Promise<Blob>;
}

export async function openPgliteDatabase(
  directory: string,
  loadDataDir?: Blob,
): Promise<PgliteDatabase> {
  if (!directory.startsWith('memory://')) mkdirSync(directory, { recursive: true });
  const client = await PGlite.create(directory, { extensions: { citext }, loadDataDir });
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    async query<Row>(_name: string, text: string, values: unknown[]) {
      return (await client.query<Row>(text, values)).rows;
    },
    async ping() {
      await client.query('SELECT 1');
    },
    async migrate() {
      // One process owns a PGlite directory, but the lock keeps the code path identical to PostgreSQL.
      await db.execute(sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_ID})`);
      try {
        await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await db.execute(sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_ID})`);
      }
    },
    async dump() {
      return client.dumpDataDir('none');
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}
