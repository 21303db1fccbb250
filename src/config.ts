import path from 'node:path';
import { emailProblem } from './modules/account/identifiers.js';

/**
 * Configuration is read from the environment once, validated as a whole, frozen and passed
 * down as a dependency. Every bad variable yields one line of `ConfigError.problems`, so an
 * operator fixes all of them in one go.
 */

export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'RS256' | 'HS256';

export interface Config {
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly publicUrl: string;
    readonly trustProxy: boolean;
    readonly bodyLimitBytes: number;
  };
  readonly database: {
    /** Unset → embedded PGlite in `dataDir`. */
    readonly url: string | undefined;
    readonly poolSize: number;
  };
  readonly dataDir: string;
  readonly tokens: {
    readonly issuer: string;
    readonly audience: string;
    readonly algorithm: SigningAlgorithm;
    readonly secretKey: string | undefined;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
    /** Hard cap on a session's life, however often it is refreshed. */
    readonly sessionMaxLifetimeSeconds: number;
    /** Encrypts private signing keys at rest; unset → a key file in `dataDir` (embedded) or plain. */
    readonly keyEncryptionKey: string | undefined;
  };
  readonly passwords: {
    readonly minLength: number;
    readonly hashMemoryKib: number;
    readonly hashIterations: number;
    readonly hashParallelism: number;
    /** Hashes computed at once (0 = one per CPU core); the rest wait their turn. */
    readonly hashConcurrency: number;
  };
  readonly lifecycle: LifecycleConfig;
  /**
   * The first admin: created (or promoted) at start-up when both are set and no active admin
   * exists yet. Never re-applied once an admin exists, so rotating the secret changes nothing.
   */
  readonly bootstrapAdmin: { readonly email: string; readonly password: string } | undefined;
  readonly mfa: {
    /** The issuer shown by authenticator apps. */
    readonly issuer: string;
    /** Backup codes issued on enrolment and regeneration. */
    readonly backupCodesCount: number;
  };
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
  readonly protection: ProtectionConfig;
  readonly telemetry: {
    /** OTLP endpoint from the standard OTEL_* variables; unset → tracing off. */
    readonly otlpEndpoint: string | undefined;
    readonly sentryDsn: string | undefined;
    readonly environment: string;
  };
  readonly shutdown: {
    /** After SIGTERM: in-flight work finishes within this, or the process exits 1. */
    readonly timeoutSeconds: number;
  };
}

/** Lockout, rate limits, session limits, audit retention, CORS (README "Security"). */
export interface ProtectionConfig {
  readonly maxFailedLogins: number;
  readonly lockoutSeconds: number;
  readonly maxSessionsPerUser: number;
  readonly sessionLimitPolicy: 'evict_oldest' | 'deny';
  /** 0 = off: a session idle (no login or refresh) this long cannot be refreshed. */
  readonly sessionIdleTimeoutSeconds: number;
  readonly auditRetentionDays: number;
  /** Empty = no cross-origin access; `*` = any origin. */
  readonly corsOrigins: readonly string[];
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly rateLimit: {
    readonly enabled: boolean;
    readonly rules: Readonly<Record<RateLimitPolicy, RateLimitPair>>;
  };
}

export const RATE_LIMIT_POLICIES = ['login', 'register', 'refresh', 'email', 'mfa'] as const;
export type RateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[number];
/** `points` requests per `durationSeconds`. */
export interface RateLimitRule {
  readonly points: number;
  readonly durationSeconds: number;
}
/** One limit per client IP and one per identifier (email, username, challenge); null = none. */
export interface RateLimitPair {
  readonly ip: RateLimitRule | null;
  readonly identifier: RateLimitRule | null;
}

/** Defaults per policy: `count/duration` (s, m, h); `0` turns that one limit off. */
export const RATE_LIMIT_DEFAULTS: Record<RateLimitPolicy, { ip: string; identifier: string }> = {
  login: { ip: '30/1m', identifier: '10/1m' },
  register: { ip: '10/1h', identifier: '3/1h' },
  refresh: { ip: '60/1m', identifier: '0' },
  email: { ip: '10/1h', identifier: '3/1h' },
  mfa: { ip: '30/5m', identifier: '10/5m' },
};

/** Account lifecycle: verification and reset mail, the outbox relay, events (issue #4). */
export interface LifecycleConfig {
  /** Login of an unverified account answers 403 email_not_verified after a correct password. */
  readonly requireEmailVerification: boolean;
  readonly codeTtlSeconds: number;
  /** Verification and reset mails one address may be sent per hour (more are skipped). */
  readonly mailRequestsPerHour: number;
  /** Page of the client app that takes `?token=` and posts the new password. */
  readonly passwordResetUrl: string;
  readonly mail: {
    readonly from: string;
    readonly smtpUrl: string | undefined;
    readonly notificationServiceUrl: string | undefined;
  };
  readonly events: {
    /** Unset → in-process bus (events are logged). */
    readonly amqpUrl: string | undefined;
    readonly exchange: string;
  };
  readonly outbox: {
    /** Attempts before a row is parked as failed. */
    readonly maxAttempts: number;
    readonly pollIntervalMs: number;
    /** First retry delay; doubles each attempt, capped at 15 minutes. */
    readonly retryBaseMs: number;
    /** auto: `serve` runs the worker when embedded (no DATABASE_URL or no AMQP_URL). */
    readonly workerInProcess: 'auto' | 'true' | 'false';
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects values and problems while reading variables, so every problem is reported at once. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string, ...aliases: string[]): { name: string; value: string } | undefined {
    for (const key of [name, ...aliases]) {
      const value = this.env[key];
      if (value !== undefined && value.trim() !== '') return { name: key, value: value.trim() };
    }
    return undefined;
  }

  string(name: string, fallback: string): string {
    return this.raw(name)?.value ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name)?.value;
  }

  int(name: string, fallback: number, min: number, max: number, ...aliases: string[]): number {
    const found = this.raw(name, ...aliases);
    if (!found) return fallback;
    const parsed = Number(found.value);
    if (!/^-?\d+$/.test(found.value) || !Number.isSafeInteger(parsed)) {
      this.problems.push(`${found.name}: must be an integer, got "${found.value}"`);
      return fallback;
    }
    if (parsed < min || parsed > max) {
      this.problems.push(`${found.name}: must be between ${min} and ${max}, got ${parsed}`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const found = this.raw(name);
    if (!found) return fallback;
    const value = found.value.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${found.name}: must be true or false, got "${found.value}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const found = this.raw(name);
    if (!found) return fallback;
    const match = allowed.find((a) => a.toLowerCase() === found.value.toLowerCase());
    if (!match) {
      this.problems.push(
        `${found.name}: must be one of ${allowed.join(', ')}, got "${found.value}"`,
      );
      return fallback;
    }
    return match;
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const found = this.raw(name);
    if (!found) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(found.value);
    } catch {
      // Never echo a URL back: it may hold a password.
      this.problems.push(`${found.name}: is not a valid URL`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      // Echo the scheme only when it is one ("user:pass@host" parses with the user as scheme).
      const got = found.value.includes('://') ? `, got ${parsed.protocol}` : '';
      this.problems.push(`${found.name}: must use ${protocols.join(' or ')}${got}`);
      return undefined;
    }
    return found.value;
  }

  /** `count/duration` with duration `30s`, `15m`, `1h` (a bare number is seconds); `0` = off. */
  rateRule(name: string, fallback: string): RateLimitRule | null {
    const found = this.raw(name);
    const text = found?.value ?? fallback;
    if (text === '0') return null;
    const match = /^(\d{1,9})\/(\d{1,7})([smh]?)$/.exec(text);
    const points = Number(match?.[1]);
    const seconds = Number(match?.[2]) * ({ s: 1, m: 60, h: 3600 }[match?.[3] || 's'] ?? 1);
    if (!match || points < 1 || seconds < 1 || seconds > 86_400) {
      this.problems.push(
        `${name}: must be "count/duration" like 10/1m (duration 1s–24h) or 0, got "${text}"`,
      );
      return null;
    }
    return { points, durationSeconds: seconds };
  }
}

function readProtection(r: EnvReader): ProtectionConfig {
  const rules = Object.fromEntries(
    RATE_LIMIT_POLICIES.map((policy) => {
      const prefix = `RATE_LIMIT_${policy.toUpperCase()}`;
      const defaults = RATE_LIMIT_DEFAULTS[policy];
      return [
        policy,
        {
          ip: r.rateRule(`${prefix}_PER_IP`, defaults.ip),
          identifier: r.rateRule(`${prefix}_PER_IDENTIFIER`, defaults.identifier),
        },
      ];
    }),
  ) as Record<RateLimitPolicy, RateLimitPair>;
  const corsOrigins = (r.optional('CORS_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter((o) => o !== '');
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      r.problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com`);
    }
  }
  return {
    maxFailedLogins: r.int('MAX_FAILED_LOGIN_ATTEMPTS', 5, 1, 100),
    lockoutSeconds: r.int('LOCKOUT_DURATION_MINUTES', 30, 1, 10_080) * 60,
    maxSessionsPerUser: r.int('MAX_SESSIONS_PER_USER', 0, 0, 10_000),
    sessionLimitPolicy: r.oneOf('SESSION_LIMIT_POLICY', 'evict_oldest', [
      'evict_oldest',
      'deny',
    ] as const),
    sessionIdleTimeoutSeconds: r.int('SESSION_IDLE_TIMEOUT_MINUTES', 1440, 0, 525_600) * 60,
    auditRetentionDays: r.int('AUDIT_RETENTION_DAYS', 365, 0, 36_500),
    corsOrigins,
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: r.string('REDIS_KEY_PREFIX', 'gatehouse:'),
    rateLimit: { enabled: r.bool('RATE_LIMIT_ENABLED', true), rules },
  };
}

export function loadConfig(env: Env = process.env): Config {
  const r = new EnvReader(env);

  const port = r.int('PORT', 8000, 0, 65535);
  const host = r.string('HOST', '0.0.0.0');
  const publicUrl = (
    r.url('PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`
  ).replace(/\/+$/, '');
  const databaseUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);

  const algorithm = r.oneOf<SigningAlgorithm>('JWT_ALGORITHM', 'ES256', [
    'ES256',
    'EdDSA',
    'RS256',
    'HS256',
  ]);
  const secretKey = r.optional('JWT_SECRET_KEY');
  if (algorithm === 'HS256') {
    if (!secretKey) r.problems.push('JWT_SECRET_KEY: is required when JWT_ALGORITHM=HS256');
    else if (Buffer.byteLength(secretKey) < 32)
      r.problems.push('JWT_SECRET_KEY: must be at least 32 bytes long for HS256');
  }
  const keyEncryptionKey = r.optional('KEY_ENCRYPTION_KEY');
  if (keyEncryptionKey !== undefined && Buffer.byteLength(keyEncryptionKey) < 32) {
    r.problems.push(
      'KEY_ENCRYPTION_KEY: must be at least 32 characters (use 32 random bytes, base64)',
    );
  }

  const level = r.oneOf('LOG_LEVEL', 'info', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const);

  const config: Config = {
    http: {
      port,
      host,
      publicUrl,
      trustProxy: r.bool('TRUST_PROXY', false),
      bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 102_400, 1_024, 10_485_760),
    },
    database: { url: databaseUrl, poolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200) },
    dataDir: path.resolve(r.string('DATA_DIR', './data')),
    tokens: {
      issuer: r.string('JWT_ISSUER', publicUrl),
      audience: r.string('JWT_AUDIENCE', 'gatehouse'),
      algorithm,
      secretKey,
      accessTokenTtlSeconds:
        r.int('ACCESS_TOKEN_EXPIRE_MINUTES', 30, 1, 1440, 'JWT_EXPIRATION_MIN') * 60,
      refreshTokenTtlSeconds: r.int('REFRESH_TOKEN_EXPIRE_DAYS', 7, 1, 365) * 86_400,
      sessionMaxLifetimeSeconds: r.int('SESSION_MAX_LIFETIME_DAYS', 30, 1, 3650) * 86_400,
      keyEncryptionKey,
    },
    passwords: {
      minLength: r.int('PASSWORD_MIN_LENGTH', 8, 8, 128),
      hashMemoryKib: r.int('PASSWORD_HASH_MEMORY_KIB', 19_456, 8, 4_194_304),
      hashIterations: r.int('PASSWORD_HASH_ITERATIONS', 2, 1, 100),
      hashParallelism: r.int('PASSWORD_HASH_PARALLELISM', 1, 1, 16),
      hashConcurrency: r.int('PASSWORD_HASH_CONCURRENCY', 0, 0, 64),
    },
    lifecycle: readLifecycle(r, publicUrl),
    bootstrapAdmin: readBootstrapAdmin(r),
    mfa: {
      issuer: r.string('MFA_ISSUER', 'Gatehouse'),
      backupCodesCount: r.int('MFA_BACKUP_CODES_COUNT', 10, 1, 50),
    },
    log: { level },
    protection: readProtection(r),
    telemetry: {
      otlpEndpoint: r.bool('OTEL_SDK_DISABLED', false)
        ? undefined
        : (r.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']) ??
          r.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:'])),
      sentryDsn: r.url('SENTRY_DSN', ['http:', 'https:']),
      environment: r.string('SENTRY_ENVIRONMENT', r.string('NODE_ENV', 'production')),
    },
    shutdown: { timeoutSeconds: r.int('SHUTDOWN_TIMEOUT_SECONDS', 25, 1, 600) },
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

function readBootstrapAdmin(r: EnvReader): Config['bootstrapAdmin'] {
  const email = r.optional('ADMIN_EMAIL')?.trim();
  const password = r.optional('ADMIN_PASSWORD');
  // ADMIN_PASSWORD alone is a password source for `gatehouse admin create --email …`.
  if (!email) return undefined;
  if (!password) {
    r.problems.push('ADMIN_EMAIL: needs ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) as well');
    return undefined;
  }
  if (emailProblem(email)) {
    r.problems.push('ADMIN_EMAIL: must be an email address');
    return undefined;
  }
  return { email, password };
}

function readLifecycle(r: EnvReader, publicUrl: string): LifecycleConfig {
  const smtpUrl = r.url('SMTP_URL', ['smtp:', 'smtps:']);
  const notificationServiceUrl = r.url('NOTIFICATION_SERVICE_URL', ['http:', 'https:']);
  if (smtpUrl && notificationServiceUrl) {
    r.problems.push('NOTIFICATION_SERVICE_URL: set either SMTP_URL or NOTIFICATION_SERVICE_URL');
  }
  const from = r.string('MAIL_FROM', `Gatehouse <no-reply@${new URL(publicUrl).hostname}>`);
  if (!/@[^@\s>]+>?$/.test(from) || /[\r\n]/.test(from)) {
    r.problems.push('MAIL_FROM: must be an address, e.g. "Gatehouse <no-reply@example.com>"');
  }
  const exchange = r.string('AMQP_EXCHANGE', 'gatehouse.events');
  if (!/^[A-Za-z0-9._:-]{1,255}$/.test(exchange)) {
    r.problems.push('AMQP_EXCHANGE: must be 1-255 letters, digits, ".", "_", ":" or "-"');
  }
  return {
    requireEmailVerification: r.bool('REQUIRE_EMAIL_VERIFICATION', false),
    codeTtlSeconds: r.int('VERIFICATION_CODE_TTL_MINUTES', 15, 1, 1440) * 60,
    mailRequestsPerHour: r.int('MAIL_REQUESTS_PER_HOUR', 5, 1, 1000),
    passwordResetUrl: (
      r.url('PASSWORD_RESET_URL', ['http:', 'https:']) ?? `${publicUrl}/reset-password`
    ).replace(/\/+$/, ''),
    mail: { from, smtpUrl, notificationServiceUrl },
    events: { amqpUrl: r.url('AMQP_URL', ['amqp:', 'amqps:']), exchange },
    outbox: {
      maxAttempts: r.int('OUTBOX_MAX_ATTEMPTS', 10, 1, 100),
      pollIntervalMs: r.int('OUTBOX_POLL_INTERVAL_MS', 1000, 10, 60_000),
      retryBaseMs: r.int('OUTBOX_RETRY_BASE_MS', 2000, 1, 600_000),
      workerInProcess: r.oneOf('WORKER_IN_PROCESS', 'auto', ['auto', 'true', 'false'] as const),
    },
  };
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
