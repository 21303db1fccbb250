import path from 'node:path';
import type { Config } from '../../config.js';
import type { Database } from './types.js';

export type { Database, Db, Executor, Tx } from './types.js';

/**
 * PostgreSQL when DATABASE_URL is set, embedded PGlite under DATA_DIR otherwise. Only the
 * driver in use is loaded: each weighs on start-up time and memory.
 */
export async function openDatabase(
  config: Config,
  onPoolError?: (error: Error) => void,
): Promise<Database> {
  if (config.database.url) {
    const { openPostgresDatabase } = await import('./postgres.js');
    return openPostgresDatabase({
      url: config.database.url,
      poolSize: config.database.poolSize,
      onPoolError,
    });
  }
  const { openPgliteDatabase } = await import('./pglite.js');
  return openPgliteDatabase(path.join(config.dataDir, 'pglite'));
}
