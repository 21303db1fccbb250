import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { consumeWith } from './decision.js';
import type {
  Limit,
  LimitSpec,
  LimiterHealth,
  LimiterStatusListener,
  LimiterStore,
} from './types.js';

export interface RedisLimiterOptions {
  url: string;
  /** Prepended to every key, so several deployments can share one Redis. */
  keyPrefix: string;
}

const PING_TIMEOUT_MS = 1_000;
const SHARED = 'Redis reachable: rate limits are shared by every replica';

/**
 * Shared store: every replica counts in the same Redis keys. While Redis is unreachable each
 * limit falls back to an in-process insurance limiter with the same budget (rate-limiter-
 * flexible's `insuranceLimiter`), so requests are still served and still limited, per process;
 * `health()` reports `degraded` and listeners hear about each switch.
 */
export function createRedisLimiterStore(options: RedisLimiterOptions): LimiterStore {
  const client = new Redis(options.url, {
    // Fail fast while disconnected (the insurance limiter answers) instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  const listeners: LimiterStatusListener[] = [];
  // Announce each switch once: the first connection, every outage, every recovery.
  let state: 'starting' | 'shared' | 'degraded' = 'starting';
  let lastError = 'connecting';
  const announce = (health: LimiterHealth) => listeners.forEach((listener) => listener(health));
  client.on('ready', () => {
    if (state !== 'shared') announce({ status: 'ok', detail: SHARED });
    state = 'shared';
  });
  const lost = () => {
    if (state !== 'degraded') announce(degraded());
    state = 'degraded';
  };
  client.on('error', (error: Error & { code?: string }) => {
    // Never the URL: it may carry a password.
    lastError = error.code ?? error.name;
    lost();
  });
  client.on('close', () => {
    if (state === 'shared') lost();
  });

  function degraded(): LimiterHealth {
    return {
      status: 'degraded',
      detail: `Redis unreachable (${lastError}): rate limits are counted per process`,
    };
  }

  return {
    kind: 'redis',
    limit(spec: LimitSpec): Limit {
      const base = { points: spec.points, duration: spec.durationSeconds };
      const limiter = new RateLimiterRedis({
        ...base,
        storeClient: client,
        keyPrefix: `${options.keyPrefix}rl:${spec.name}`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ ...base, keyPrefix: `insurance:${spec.name}` }),
      });
      return { spec, consume: (key) => consumeWith(limiter, spec, key) };
    },
    async health() {
      if (client.status !== 'ready') return degraded();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
          }),
        ]);
        return { status: 'ok' };
      } catch (error) {
        lastError = error instanceof Error ? error.message : 'error';
        return degraded();
      } finally {
        clearTimeout(timer);
      }
    },
    onStatusChange(listener) {
      listeners.push(listener);
      // A listener added after the first switch (the app's logger) hears the current state.
      if (state === 'degraded') listener(degraded());
      if (state === 'shared') listener({ status: 'ok', detail: SHARED });
    },
    async close() {
      client.disconnect();
    },
  };
}
