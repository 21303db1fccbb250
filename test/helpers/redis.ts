import { describe } from 'vitest';

/**
 * Suites that need a real Redis: run when REDIS_URL is set, required when CI=true, skipped
 * with a message otherwise (`npm test` on a bare machine).
 */
export const REDIS_URL = process.env.REDIS_URL;

if (!REDIS_URL && process.env.CI === 'true') {
  throw new Error('REDIS_URL is required for the Redis suites (CI=true)');
}

export const describeWithRedis: typeof describe = REDIS_URL
  ? describe
  : (((name: string, ...rest: unknown[]) => {
      console.warn(`[gatehouse tests] REDIS_URL is not set: skipping "${name}"`);
      return (describe.skip as (...args: unknown[]) => void)(name, ...rest);
    }) as unknown as typeof describe);
