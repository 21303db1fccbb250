import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './types.js';

/**
 * Fixed SQL with `$n` placeholders, as `Database.query` takes it, bound for `executor` (a
 * transaction): for the few hand-written statements that must run inside a change's
 * transaction. Unlike `Database.query` it is not a named prepared statement.
 */
export function positionalSql(text: string, values: readonly unknown[]): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sql.raw(text.slice(last, match.index)));
    chunks.push(sql`${values[Number(match[1]) - 1]}`);
    last = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return sql.join(chunks);
}

/** Runs `text` with `values` on `executor`; rows come back as the driver returns them. */
export async function queryWithin<Row>(
  executor: Executor,
  text: string,
  values: readonly unknown[],
): Promise<Row[]> {
  const result = await executor.execute(positionalSql(text, values));
  return (result as unknown as { rows: Row[] }).rows;
}

/**
 * Bind parameters one multi-row statement may carry safely: PostgreSQL's limit is 65,535, and
 * a row of our widest tables binds about ten.
 */
const ROWS_PER_STATEMENT = 5_000;

/** `rows` in slices small enough for one multi-row INSERT each. */
export function* statementChunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    yield rows.slice(start, start + ROWS_PER_STATEMENT);
  }
}
