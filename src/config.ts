import path from 'node:path';

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
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
  readonly telemetry: {
    /** OTLP endpoint from the standard OTEL_* variables; unset → tracing off. */
    readonly otlpEndpoint: string | undefined;
    readonly sentryDsn: string | undefined;
    readonly environment: string;
  };
  readonly lifecycle: {
    /** After SIGTERM: in-flight work finishes within this, or the process exits 1. */
    readonly shutdownTimeoutSeconds: number;
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
    log: { level },
    telemetry: {
      otlpEndpoint: r.bool('OTEL_SDK_DISABLED', false)
        ? undefined
        : (r.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']) ??
          r.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:'])),
      sentryDsn: r.url('SENTRY_DSN', ['http:', 'https:']),
      environment: r.string('SENTRY_ENVIRONMENT', r.string('NODE_ENV', 'production')),
    },
    lifecycle: { shutdownTimeoutSeconds: r.int('SHUTDOWN_TIMEOUT_SECONDS', 25, 1, 600) },
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
