/**
 * Rate limiting: a store hands out named fixed-window limits. The embedded store counts in
 * this process; the Redis store counts in Redis so every replica shares the budget, and falls
 * back to counting in this process while Redis cannot be reached.
 */

export interface LimitSpec {
  /** Unique per store, e.g. `login:ip`; part of the storage key. */
  name: string;
  points: number;
  durationSeconds: number;
}

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
}

export interface Limit {
  readonly spec: LimitSpec;
  /** Spends one point of `key`'s budget. MUST NOT throw because the backend is down. */
  consume(key: string): Promise<LimitDecision>;
}

export interface LimiterHealth {
  status: 'ok' | 'degraded';
  detail?: string;
}

export type LimiterStatusListener = (health: LimiterHealth) => void;

export interface LimiterStore {
  readonly kind: 'memory' | 'redis';
  limit(spec: LimitSpec): Limit;
  /** `degraded` when the shared backend is unreachable and limits are counted per process. */
  health(): Promise<LimiterHealth>;
  /** Called on every change between shared and per-process counting (for logs). */
  onStatusChange(listener: LimiterStatusListener): void;
  close(): Promise<void>;
}
