import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSecretsManager,
  type SecretsManagerStandIn,
} from '../../../test/helpers/secrets-manager.js';
import { tempDir } from '../../../test/helpers/app.js';
import { ConfigError } from '../../config.js';
import { databaseUrlFrom, parseDatabaseCredentials } from './aws.js';
import { loadConfigWithSecrets } from './index.js';

async function problemsOf(env: Record<string, string>): Promise<string[]> {
  try {
    await loadConfigWithSecrets(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function secretFile(content: string): string {
  const file = path.join(tempDir('secret-'), 'value');
  writeFileSync(file, content);
  return file;
}

const KEY = 'k'.repeat(40);

describe('*_FILE variables', () => {
  it('read each secret from its file, dropping one trailing newline', async () => {
    const config = await loadConfigWithSecrets({
      DATABASE_URL_FILE: secretFile('postgres://app:p%40ss@db.internal:5432/gatehouse\n'),
      JWT_ALGORITHM: 'HS256',
      JWT_SECRET_KEY_FILE: secretFile(`${KEY}\n`),
      KEY_ENCRYPTION_KEY_FILE: secretFile(KEY),
      SENTRY_DSN_FILE: secretFile('https://public@sentry.example.com/1\n'),
    });
    expect(config.database.url).toBe('postgres://app:p%40ss@db.internal:5432/gatehouse');
    expect(config.tokens.secretKey).toBe(KEY);
    expect(config.tokens.keyEncryptionKey).toBe(KEY);
    expect(config.telemetry.sentryDsn).toBe('https://public@sentry.example.com/1');
  });

  it('refuse a variable set both ways, a missing file and an empty one, naming no value', async () => {
    const problems = await problemsOf({
      DATABASE_URL: 'postgres://app:inline-secret@db/gatehouse',
      DATABASE_URL_FILE: secretFile('postgres://app:file-secret@db/gatehouse'),
      REDIS_URL_FILE: '/nonexistent/redis-url',
      SMTP_URL_FILE: secretFile('\n'),
      AMQP_URL_FILE: secretFile('amqp://guest:guest@broker'),
      AMQP_URL: 'amqp://guest:other@broker',
    });
    expect(problems).toHaveLength(4);
    expect(problems).toContain(
      'DATABASE_URL_FILE: cannot be combined with DATABASE_URL; set only one of them',
    );
    expect(problems).toContain(
      'AMQP_URL_FILE: cannot be combined with AMQP_URL; set only one of them',
    );
    expect(problems).toContain('REDIS_URL_FILE: cannot read /nonexistent/redis-url (ENOENT)');
    expect(problems.some((p) => /^SMTP_URL_FILE: .* is empty$/.test(p))).toBe(true);
    const text = problems.join('\n');
    for (const secret of ['inline-secret', 'file-secret', 'guest'])
      expect(text).not.toContain(secret);
  });

  it('report file problems together with the other configuration problems', async () => {
    const problems = await problemsOf({
      JWT_SECRET_KEY_FILE: '/nonexistent/jwt',
      PORT: 'eighty',
    });
    expect(problems).toEqual([
      'JWT_SECRET_KEY_FILE: cannot read /nonexistent/jwt (ENOENT)',
      'PORT: must be an integer, got "eighty"',
    ]);
  });

  it('validate file content like the variable itself, without echoing it', async () => {
    const problems = await problemsOf({
      DATABASE_URL_FILE: secretFile('mysql://root:hunter22@db/app'),
    });
    expect(problems).toEqual(['DATABASE_URL: must use postgres: or postgresql:, got mysql:']);
  });
});

describe('database credentials from AWS Secrets Manager', () => {
  let standIn: SecretsManagerStandIn;
  const saved = { ...process.env };
  const credentials = {
    username: 'gate house',
    password: 'p@ss:w/rd?#%&=',
    host: 'db.cluster-abc.eu-west-1.rds.amazonaws.com',
    port: 5433,
    dbname: 'gatehouse',
  };

  beforeAll(async () => {
    standIn = await startSecretsManager({
      'gatehouse/prod/database': JSON.stringify({ ...credentials, engine: 'postgres' }),
      'gatehouse/broken': 'not json at all',
      'gatehouse/partial': JSON.stringify({ username: 'u', password: 'secret-in-partial' }),
    });
    // The SDK's own settings: where Secrets Manager is, and credentials to sign with.
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = standIn.url;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-access-key';
  });
  afterAll(async () => {
    process.env = saved;
    await standIn.close();
  });

  it('builds DATABASE_URL from the secret, every part URL-encoded', async () => {
    const config = await loadConfigWithSecrets({
      USER_SERVICE_SECRET_NAME: 'gatehouse/prod/database',
      AWS_REGION: 'eu-west-1',
    });
    const url = new URL(config.database.url!);
    expect(decodeURIComponent(url.username)).toBe(credentials.username);
    expect(decodeURIComponent(url.password)).toBe(credentials.password);
    expect(url.hostname).toBe(credentials.host);
    expect(url.port).toBe('5433');
    expect(url.pathname).toBe('/gatehouse');
    const request = standIn.requests.at(-1)!;
    expect(request).toEqual({
      target: 'secretsmanager.GetSecretValue',
      secretId: 'gatehouse/prod/database',
      signed: true,
    });
  });

  it('adds DATABASE_SSLMODE to the URL it builds, and refuses an unknown mode', async () => {
    const config = await loadConfigWithSecrets({
      USER_SERVICE_SECRET_NAME: 'gatehouse/prod/database',
      AWS_REGION: 'eu-west-1',
      DATABASE_SSLMODE: 'verify-full',
    });
    expect(new URL(config.database.url!).searchParams.get('sslmode')).toBe('verify-full');
    expect(
      await problemsOf({
        USER_SERVICE_SECRET_NAME: 'gatehouse/prod/database',
        AWS_REGION: 'eu-west-1',
        DATABASE_SSLMODE: 'prefer',
      }),
    ).toEqual(['DATABASE_SSLMODE: must be one of disable, no-verify, require, verify-full']);
  });

  it('turns every failure into one config line that holds no secret', async () => {
    const cases: [string, RegExp][] = [
      ['gatehouse/missing', /ResourceNotFoundException/],
      ['gatehouse/broken', /is not JSON/],
      ['gatehouse/partial', /lacks a valid host, dbname/],
    ];
    for (const [name, expected] of cases) {
      const problems = await problemsOf({
        USER_SERVICE_SECRET_NAME: name,
        AWS_REGION: 'eu-west-1',
      });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^USER_SERVICE_SECRET_NAME: /);
      expect(problems[0]).toMatch(expected);
      expect(problems[0]).not.toContain('secret-in-partial');
    }
  });

  it('needs a region and refuses to be combined with DATABASE_URL', async () => {
    expect(await problemsOf({ USER_SERVICE_SECRET_NAME: 'gatehouse/prod/database' })).toEqual([
      'AWS_REGION: is required with USER_SERVICE_SECRET_NAME',
    ]);
    expect(
      await problemsOf({
        USER_SERVICE_SECRET_NAME: 'gatehouse/prod/database',
        AWS_REGION: 'eu-west-1',
        DATABASE_URL: 'postgres://u:p@h/d',
      }),
    ).toEqual([
      'USER_SERVICE_SECRET_NAME: cannot be combined with DATABASE_URL or DATABASE_URL_FILE; set only one of them',
    ]);
  });
});

describe('parseDatabaseCredentials / databaseUrlFrom', () => {
  it('accepts the port as a string and defaults it to 5432', () => {
    const base = { username: 'u', password: 'p', host: 'h', dbname: 'd' };
    expect(parseDatabaseCredentials(JSON.stringify({ ...base, port: '6432' }), 's').port).toBe(
      6432,
    );
    expect(parseDatabaseCredentials(JSON.stringify(base), 's').port).toBe(5432);
    expect(() => parseDatabaseCredentials(JSON.stringify({ ...base, port: 'x' }), 's')).toThrow(
      /lacks a valid port/,
    );
    expect(() => parseDatabaseCredentials('[]', 's')).toThrow(/not a JSON object/);
  });

  it('brackets IPv6 hosts', () => {
    expect(
      databaseUrlFrom({ username: 'u', password: 'p', host: '::1', port: 5432, dbname: 'd' }),
    ).toBe('postgres://u:p@[::1]:5432/d');
  });
});
