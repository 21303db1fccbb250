import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

/** The Drizzle handle every repository receives: the same API on PGlite and PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; repositories accept either so services can compose them atomically. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /**
   * Runs fixed SQL as a named prepared statement: parsed and planned once per connection. For
   * the few hot statements whose Drizzle form would cost more than the database work itself;
   * columns should be aliased to the camelCase names the caller's row type uses.
   */
  query<Row>(name: string, text: string, values: unknown[]): Promise<Row[]>;
  /** Connection pool figures for metrics (PostgreSQL; PGlite has no pool). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /** Cheap round trip used by `/ready`. */
  ping(): Promise<void>;
  /** Applies pending migrations under a PostgreSQL advisory lock, so replicas never collide. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = new URL('../../../migrations', import.meta.url).pathname;

/** Arbitrary but fixed: every Gatehouse replica takes this advisory lock to migrate. */
export const MIGRATION_LOCK_ID = 7_041_998_311;
