import { RateLimiterRes } from 'rate-limiter-flexible';
import type { LimitDecision, LimitSpec } from './types.js';

/** Maps rate-limiter-flexible's result (resolved = allowed, rejected = over budget). */
export function toDecision(spec: LimitSpec, res: RateLimiterRes, allowed: boolean): LimitDecision {
  return {
    allowed,
    limit: spec.points,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/** Consumes one point; a RateLimiterRes rejection is a refusal, anything else a real error. */
export async function consumeWith(
  limiter: { consume(key: string, points?: number): Promise<RateLimiterRes> },
  spec: LimitSpec,
  key: string,
): Promise<LimitDecision> {
  try {
    return toDecision(spec, await limiter.consume(key, 1), true);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return toDecision(spec, rejection, false);
    throw rejection;
  }
}
