import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { problemsOf } from '../test/helpers/config.js';

const SECRET_32 = 'a'.repeat(32);

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('serves on 0.0.0.0:8000 with PUBLIC_URL derived from the port', () => {
    expect(config.http.port).toBe(8000);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.http.publicUrl).toBe('http://localhost:8000');
    expect(config.http.trustProxy).toBe(false);
    expect(config.http.bodyLimitBytes).toBe(102_400);
  });

  it('uses embedded PGlite in ./data', () => {
    expect(config.database.url).toBeUndefined();
    expect(config.database.poolSize).toBe(10);
    expect(config.dataDir).toBe(path.resolve('./data'));
  });

  it('issues ES256 tokens: 30-minute access, 7-day refresh, 30-day session cap', () => {
    expect(config.tokens.algorithm).toBe('ES256');
    expect(config.tokens.issuer).toBe('http://localhost:8000');
    expect(config.tokens.audience).toBe('gatehouse');
    expect(config.tokens.secretKey).toBeUndefined();
    expect(config.tokens.keyEncryptionKey).toBeUndefined();
    expect(config.tokens.accessTokenTtlSeconds).toBe(1800);
    expect(config.tokens.refreshTokenTtlSeconds).toBe(7 * 86_400);
    expect(config.tokens.sessionMaxLifetimeSeconds).toBe(30 * 86_400);
  });

  it('hashes passwords with argon2id 19456 KiB / 2 iterations / 1 lane, minimum length 8', () => {
    expect(config.passwords).toEqual({
      minLength: 8,
      hashMemoryKib: 19_456,
      hashIterations: 2,
      hashParallelism: 1,
      hashConcurrency: 0,
    });
  });

  it('logs at info', () => {
    expect(config.log.level).toBe('info');
  });

  it('treats empty and blank variables as unset', () => {
    const blank = loadConfig({ PORT: '', JWT_ALGORITHM: '   ', DATABASE_URL: '' });
    expect(blank.http.port).toBe(8000);
    expect(blank.tokens.algorithm).toBe('ES256');
    expect(blank.database.url).toBeUndefined();
  });
});

describe('loadConfig values', () => {
  it('reads every variable it knows', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'https://auth.example.com',
      TRUST_PROXY: 'yes',
      BODY_LIMIT_BYTES: '2048',
      DATABASE_URL: 'postgresql://app:secret@db:5432/gatehouse',
      DATABASE_POOL_SIZE: '20',
      DATA_DIR: '/var/lib/gatehouse',
      JWT_ISSUER: 'https://issuer.example.com',
      JWT_AUDIENCE: 'platform',
      JWT_ALGORITHM: 'EdDSA',
      ACCESS_TOKEN_EXPIRE_MINUTES: '15',
      REFRESH_TOKEN_EXPIRE_DAYS: '14',
      SESSION_MAX_LIFETIME_DAYS: '90',
      KEY_ENCRYPTION_KEY: SECRET_32,
      PASSWORD_MIN_LENGTH: '12',
      PASSWORD_HASH_MEMORY_KIB: '65536',
      PASSWORD_HASH_ITERATIONS: '3',
      PASSWORD_HASH_PARALLELISM: '4',
      PASSWORD_HASH_CONCURRENCY: '3',
      LOG_LEVEL: 'debug',
    });
    expect(config.http).toEqual({
      port: 9000,
      host: '127.0.0.1',
      publicUrl: 'https://auth.example.com',
      trustProxy: true,
      bodyLimitBytes: 2048,
    });
    expect(config.database).toEqual({
      url: 'postgresql://app:secret@db:5432/gatehouse',
      poolSize: 20,
    });
    expect(config.dataDir).toBe('/var/lib/gatehouse');
    expect(config.tokens).toMatchObject({
      issuer: 'https://issuer.example.com',
      audience: 'platform',
      algorithm: 'EdDSA',
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 14 * 86_400,
      sessionMaxLifetimeSeconds: 90 * 86_400,
      keyEncryptionKey: SECRET_32,
    });
    expect(config.passwords).toEqual({
      minLength: 12,
      hashMemoryKib: 65_536,
      hashIterations: 3,
      hashParallelism: 4,
      hashConcurrency: 3,
    });
    expect(config.log.level).toBe('debug');
  });

  it('defaults the issuer to PUBLIC_URL with trailing slashes stripped', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://auth.example.com//' });
    expect(config.http.publicUrl).toBe('https://auth.example.com');
    expect(config.tokens.issuer).toBe('https://auth.example.com');
  });

  it('derives PUBLIC_URL from a custom PORT', () => {
    expect(loadConfig({ PORT: '3000' }).http.publicUrl).toBe('http://localhost:3000');
  });

  it('accepts JWT_EXPIRATION_MIN as an alias, the primary name winning', () => {
    expect(loadConfig({ JWT_EXPIRATION_MIN: '60' }).tokens.accessTokenTtlSeconds).toBe(3600);
    expect(
      loadConfig({ ACCESS_TOKEN_EXPIRE_MINUTES: '10', JWT_EXPIRATION_MIN: '60' }).tokens
        .accessTokenTtlSeconds,
    ).toBe(600);
  });

  it('names the alias in the problem when the alias is the bad one', () => {
    expect(problemsOf({ JWT_EXPIRATION_MIN: 'soon' })).toEqual([
      'JWT_EXPIRATION_MIN: must be an integer, got "soon"',
    ]);
  });

  it('accepts the algorithm case-insensitively and returns its canonical spelling', () => {
    expect(loadConfig({ JWT_ALGORITHM: 'eddsa' }).tokens.algorithm).toBe('EdDSA');
    expect(loadConfig({ JWT_ALGORITHM: 'rs256' }).tokens.algorithm).toBe('RS256');
  });

  it('accepts HS256 with a secret of at least 32 bytes', () => {
    const config = loadConfig({ JWT_ALGORITHM: 'HS256', JWT_SECRET_KEY: SECRET_32 });
    expect(config.tokens.algorithm).toBe('HS256');
    expect(config.tokens.secretKey).toBe(SECRET_32);
  });

  it('accepts postgres: and postgresql: URLs', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@h:5432/d' }).database.url).toBe(
      'postgres://u:p@h:5432/d',
    );
  });

  it.each([
    ['true', true],
    ['1', true],
    ['ON', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('reads TRUST_PROXY=%s as %s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toBe(expected);
  });

  it('trims surrounding whitespace', () => {
    expect(loadConfig({ PORT: ' 8080 ' }).http.port).toBe(8080);
  });

  it('accepts the bounds of a range', () => {
    expect(loadConfig({ PORT: '0' }).http.port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).http.port).toBe(65535);
    expect(loadConfig({ PASSWORD_MIN_LENGTH: '128' }).passwords.minLength).toBe(128);
  });
});

describe('loadConfig problems', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT: must be an integer, got "abc"'],
    [{ PORT: '80.5' }, 'PORT: must be an integer, got "80.5"'],
    [{ PORT: '1e3' }, 'PORT: must be an integer, got "1e3"'],
    [{ PORT: '70000' }, 'PORT: must be between 0 and 65535, got 70000'],
    [{ PORT: '-1' }, 'PORT: must be between 0 and 65535, got -1'],
    [{ PASSWORD_MIN_LENGTH: '6' }, 'PASSWORD_MIN_LENGTH: must be between 8 and 128, got 6'],
    [
      { ACCESS_TOKEN_EXPIRE_MINUTES: '0' },
      'ACCESS_TOKEN_EXPIRE_MINUTES: must be between 1 and 1440, got 0',
    ],
    [
      { REFRESH_TOKEN_EXPIRE_DAYS: '366' },
      'REFRESH_TOKEN_EXPIRE_DAYS: must be between 1 and 365, got 366',
    ],
    [
      { DATABASE_POOL_SIZE: '99999999999999999999' },
      'DATABASE_POOL_SIZE: must be an integer, got "99999999999999999999"',
    ],
    [
      { JWT_ALGORITHM: 'none' },
      'JWT_ALGORITHM: must be one of ES256, EdDSA, RS256, HS256, got "none"',
    ],
    [{ JWT_ALGORITHM: 'HS256' }, 'JWT_SECRET_KEY: is required when JWT_ALGORITHM=HS256'],
    [
      { JWT_ALGORITHM: 'HS256', JWT_SECRET_KEY: 'short' },
      'JWT_SECRET_KEY: must be at least 32 bytes long for HS256',
    ],
    [
      { KEY_ENCRYPTION_KEY: 'too-short' },
      'KEY_ENCRYPTION_KEY: must be at least 32 characters (use 32 random bytes, base64)',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY: must be true or false, got "maybe"'],
    [{ PUBLIC_URL: 'auth.example.com' }, 'PUBLIC_URL: is not a valid URL'],
    [{ PUBLIC_URL: 'ftp://auth.example.com' }, 'PUBLIC_URL: must use http: or https:, got ftp:'],
  ])('%j → %s', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('refuses a non-PostgreSQL DATABASE_URL without echoing it', () => {
    const url = 'mysql://root:hunter2-password@db:3306/app';
    const problems = problemsOf({ DATABASE_URL: url });
    expect(problems).toEqual(['DATABASE_URL: must use postgres: or postgresql:, got mysql:']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('refuses a DATABASE_URL that is not a URL without echoing it (it can carry a password)', () => {
    // The libpq keyword form is a common mistake for DATABASE_URL.
    const value = 'host=db user=app password=hunter2-password dbname=app';
    let caught: unknown;
    try {
      loadConfig({ DATABASE_URL: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.problems).toEqual(['DATABASE_URL: is not a valid URL']);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain(value);
  });

  it('does not echo the password of a URL written without its scheme', () => {
    const problems = problemsOf({ DATABASE_URL: 'app:hunter2-password@db:5432/app' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL: /);
    expect(problems[0]).not.toContain('hunter2');
  });

  it('reports every problem at once, one line each, naming its variable', () => {
    const env = {
      PORT: 'abc',
      JWT_ALGORITHM: 'none',
      DATABASE_URL: 'mysql://root:pw@db/app',
      LOG_LEVEL: 'loud',
      TRUST_PROXY: 'maybe',
      PASSWORD_MIN_LENGTH: '4',
      KEY_ENCRYPTION_KEY: 'short',
    };
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(Object.keys(env).length);
    for (const name of Object.keys(env)) {
      expect(error.problems.filter((p) => p.startsWith(`${name}: `))).toHaveLength(1);
    }
    for (const problem of error.problems) {
      expect(problem).not.toContain('\n');
      expect(error.message).toContain(problem);
    }
    expect(error.message.startsWith('invalid configuration:\n')).toBe(true);
  });

  it('reports HS256 without a secret together with other problems', () => {
    const problems = problemsOf({ JWT_ALGORITHM: 'hs256', PORT: '70000' });
    expect(problems).toHaveLength(2);
    expect(problems).toContain('JWT_SECRET_KEY: is required when JWT_ALGORITHM=HS256');
    expect(problems).toContain('PORT: must be between 0 and 65535, got 70000');
  });

  it('counts the HS256 secret in bytes, not characters', () => {
    // 16 two-byte characters = 32 bytes: long enough.
    expect(
      loadConfig({ JWT_ALGORITHM: 'HS256', JWT_SECRET_KEY: 'é'.repeat(16) }).tokens.algorithm,
    ).toBe('HS256');
    expect(problemsOf({ JWT_ALGORITHM: 'HS256', JWT_SECRET_KEY: 'a'.repeat(31) })).toEqual([
      'JWT_SECRET_KEY: must be at least 32 bytes long for HS256',
    ]);
  });

  it('ignores JWT_SECRET_KEY for asymmetric algorithms', () => {
    expect(loadConfig({ JWT_SECRET_KEY: 'short' }).tokens.algorithm).toBe('ES256');
  });
});

describe('loadConfig result', () => {
  it('is deeply frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    for (const section of [
      config.http,
      config.database,
      config.tokens,
      config.passwords,
      config.log,
    ]) {
      expect(Object.isFrozen(section)).toBe(true);
    }
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.http.port).toBe(8000);
  });
});
