import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Limit, LimitDecision, LimiterStore } from '../adapters/limiter/index.js';
import type { RateLimitPair, RateLimitPolicy } from '../config.js';
import { errors } from '../errors.js';

/**
 * A route opts in with one line, `config: { rateLimit: 'login' }`: every request then spends
 * one point of its client IP's budget and, when the body names one, of its identifier's
 * budget (`identify` overrides which field that is). No URL matching anywhere.
 */
export type RateLimitOption =
  | RateLimitPolicy
  | { policy: RateLimitPolicy; identify?: (request: FastifyRequest) => string | undefined };

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: RateLimitOption;
  }
}

/** Body fields naming who a request is about, in order of preference. */
const IDENTIFIER_FIELDS = ['identifier', 'email', 'username', 'user_name'] as const;

export function identifierFromBody(request: FastifyRequest): string | undefined {
  const body = request.body;
  if (!body || typeof body !== 'object') return undefined;
  for (const field of IDENTIFIER_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

/** Same spelling rules as login: NFKC, trimmed, case-folded; hashed so keys hold no PII. */
function identifierKey(raw: string): string {
  const normalized = raw.normalize('NFKC').trim().toLowerCase();
  return createHash('sha256').update(normalized).digest('base64url');
}

/**
 * Installs the `rateLimit` route option. Must run before the routes are registered. With
 * RATE_LIMIT_ENABLED=false it installs nothing, so every limit is off.
 */
export function installRateLimits(
  app: FastifyInstance,
  options: {
    enabled: boolean;
    store: LimiterStore;
    rules: Readonly<Record<RateLimitPolicy, RateLimitPair>>;
  },
): void {
  if (!options.enabled) return;
  const limits = new Map<RateLimitPolicy, { ip?: Limit; identifier?: Limit }>();
  const limitsOf = (policy: RateLimitPolicy) => {
    let found = limits.get(policy);
    if (!found) {
      const { ip, identifier } = options.rules[policy];
      found = {
        ip: ip
          ? options.store.limit({
              name: `${policy}:ip`,
              points: ip.points,
              durationSeconds: ip.durationSeconds,
            })
          : undefined,
        identifier: identifier
          ? options.store.limit({
              name: `${policy}:id`,
              points: identifier.points,
              durationSeconds: identifier.durationSeconds,
            })
          : undefined,
      };
      limits.set(policy, found);
    }
    return found;
  };

  app.addHook('onRoute', (route) => {
    const option = route.config?.rateLimit;
    if (!option) return;
    const { policy, identify = identifierFromBody } =
      typeof option === 'string' ? { policy: option } : option;
    const { ip, identifier } = limitsOf(policy);
    // preValidation: the body is parsed, and even requests that fail validation are counted.
    const hook = async (request: FastifyRequest, reply: FastifyReply) => {
      const pending: Promise<LimitDecision>[] = [];
      if (ip) pending.push(ip.consume(request.ip));
      const who = identifier ? identify(request) : undefined;
      if (identifier && who !== undefined) pending.push(identifier.consume(identifierKey(who)));
      if (pending.length === 0) return;
      const decisions = await Promise.all(pending);
      const refused = decisions.filter((d) => !d.allowed);
      // Report the tightest limit: the refusing one that frees up last, else the fullest.
      const shown =
        refused.length > 0
          ? refused.reduce((a, b) => (b.resetSeconds > a.resetSeconds ? b : a))
          : decisions.reduce((a, b) => (b.remaining / b.limit < a.remaining / a.limit ? b : a));
      const headers = rateLimitHeaders(shown);
      if (refused.length > 0) {
        throw errors.rateLimited(`Too many requests; retry in ${shown.resetSeconds} seconds.`, {
          headers: { ...headers, 'retry-after': String(shown.resetSeconds) },
        });
      }
      reply.headers(headers);
    };
    route.preValidation = [hook, ...asArray(route.preValidation)];
  });
}

/** IETF draft-ietf-httpapi-ratelimit-headers fields. */
export function rateLimitHeaders(decision: LimitDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
  };
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
