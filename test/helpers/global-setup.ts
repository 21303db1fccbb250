import { mkdirSync, writeFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { openPgliteDatabase } from '../../src/adapters/db/pglite.js';
import { PGLITE_TEMPLATE, TMP_ROOT } from './paths.js';

/**
 * Runs once per project and run. PGlite: migrate one database and dump it, so each suite
 * starts from a copy in milliseconds instead of running initdb (seconds); rebuilt every run so
 * a new migration is never hidden. PostgreSQL: the project exists only when wanted, and then
 * DATABASE_URL is required.
 */
export default async function setup(project: TestProject): Promise<void> {
  mkdirSync(TMP_ROOT, { recursive: true });
  if (project.name === 'postgres') {
    if (!process.env.DATABASE_URL) {
      throw new Error('DATABASE_URL is required for the PostgreSQL test project (CI=true)');
    }
    return;
  }
  const database = await openPgliteDatabase('memory://');
  try {
    await database.migrate();
    const dump = await database.dump();
    writeFileSync(PGLITE_TEMPLATE, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await database.close();
  }
}
