import type { Clock } from '../../clock.js';

/**
 * How many mails one address may be sent in a window. A small interface so the shared
 * (Redis) limiter can take over; this in-memory one counts per process.
 */
export interface AddressLimiter {
  /** Records one request for `key`; refused when over the limit (a refusal is not counted). */
  tryTake(key: string): Promise<LimitDecision>;
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Sliding window of timestamps per key, kept in memory and pruned as it goes. */
export class MemoryAddressLimiter implements AddressLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly options: { limit: number; windowMs: number; clock: Clock; maxKeys?: number },
  ) {}

  async tryTake(key: string): Promise<LimitDecision> {
    const now = this.options.clock.now().getTime();
    const since = now - this.options.windowMs;
    const recent = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (recent.length >= this.options.limit) {
      this.hits.set(key, recent);
      const oldest = recent[recent.length - this.options.limit]!;
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.options.windowMs - now) / 1000)),
      };
    }
    recent.push(now);
    this.hits.delete(key);
    this.hits.set(key, recent);
    // Bounded memory: the oldest keys go first (Map keeps insertion order).
    const maxKeys = this.options.maxKeys ?? 100_000;
    while (this.hits.size > maxKeys) {
      const oldest = this.hits.keys().next().value;
      if (oldest === undefined) break;
      this.hits.delete(oldest);
    }
    return { allowed: true };
  }
}
