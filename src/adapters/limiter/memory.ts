import { RateLimiterMemory } from 'rate-limiter-flexible';
import { consumeWith } from './decision.js';
import type { Limit, LimitSpec, LimiterStore } from './types.js';

/** Embedded store: counts in this process. Right for one replica (PGlite, `npm start`). */
export function createMemoryLimiterStore(): LimiterStore {
  return {
    kind: 'memory',
    limit(spec: LimitSpec): Limit {
      const limiter = new RateLimiterMemory({
        keyPrefix: spec.name,
        points: spec.points,
        duration: spec.durationSeconds,
      });
      return { spec, consume: (key) => consumeWith(limiter, spec, key) };
    },
    async health() {
      return { status: 'ok' };
    },
    onStatusChange() {
      // Never changes.
    },
    async close() {
      // Nothing to release.
    },
  };
}
