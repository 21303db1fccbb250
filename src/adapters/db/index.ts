import path from 'node:path';
import type { Config } from '../../config.js';
import { openPgliteDatabase } from './pglite.js';
import { openPostgresDatabase } from './postgres.js';
import type { Database } from './types.js';

export type { Database, Db, Executor, Tx } from './types.js';

/** PostgreSQL when DATABASE_URL is set, embedded PGlite under DATA_DIR otherwise. */
export function openDatabase(
  config: Config,
  onPoolError?: (error: Error) => void,
): Promise<Database> {
  if (config.database.url) {
    return openPostgresDatabase({
      url: config.database.url,
      poolSize: config.database.poolSize,
      onPoolError,
    });
  }
  return openPgliteDatabase(path.join(config.dataDir, 'pglite'));
}
