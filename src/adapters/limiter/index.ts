import { createMemoryLimiterStore } from './memory.js';
import type { LimiterStore } from './types.js';

export type * from './types.js';

/**
 * Redis when REDIS_URL is set (shared by replicas), in-process otherwise. The Redis client is
 * loaded only when configured: it is a large module to hold in memory for nothing.
 */
export async function createLimiterStore(options: {
  redisUrl: string | undefined;
  keyPrefix: string;
}): Promise<LimiterStore> {
  if (!options.redisUrl) return createMemoryLimiterStore();
  const { createRedisLimiterStore } = await import('./redis.js');
  return createRedisLimiterStore({ url: options.redisUrl, keyPrefix: options.keyPrefix });
}
