import { createMemoryLimiterStore } from './memory.js';
import { createRedisLimiterStore } from './redis.js';
import type { LimiterStore } from './types.js';

export type * from './types.js';

/** Redis when REDIS_URL is set (shared by replicas), in-process otherwise. */
export function createLimiterStore(options: {
  redisUrl: string | undefined;
  keyPrefix: string;
}): LimiterStore {
  return options.redisUrl
    ? createRedisLimiterStore({ url: options.redisUrl, keyPrefix: options.keyPrefix })
    : createMemoryLimiterStore();
}
