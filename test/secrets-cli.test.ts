import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, TEST_DB_KIND, type TestDatabase } from './helpers/database.js';
import { startSecretsManager, type SecretsManagerStandIn } from './helpers/secrets-manager.js';

describe('secrets at start-up (CLI)', () => {
  let standIn: SecretsManagerStandIn;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    const secrets: Record<string, string> = {
      'gatehouse/no-host': JSON.stringify({ username: 'app', password: 'pw-in-secret-9f3' }),
    };
    if (TEST_DB_KIND === 'postgres') {
      database = await createTestDatabase();
      const url = new URL(database.url!);
      secrets['gatehouse/test'] = JSON.stringify({
        username: decodeURIComponent(url.username),
        // The test server may trust local connections; a secret always carries a password.
        password: decodeURIComponent(url.password) || 'unused-by-trust-auth',
        host: url.hostname,
        port: Number(url.port || 5432),
        dbname: url.pathname.slice(1),
      });
    }
    standIn = await startSecretsManager(secrets);
  });
  afterAll(async () => {
    await standIn.close();
    await database?.drop();
  });

  const aws = () => ({
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.url,
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-access-key',
  });

  it('a bad secret or secret file is a config error (exit 2) that echoes no secret', async () => {
    const conflicting = path.join(tempDir('secret-'), 'jwt');
    writeFileSync(conflicting, 'file-held-secret-value-that-is-long-enough');
    const result = await runCli(['serve'], {
      ...aws(),
      USER_SERVICE_SECRET_NAME: 'gatehouse/no-host',
      JWT_SECRET_KEY: 'inline-held-secret-value-that-is-long-enough',
      JWT_SECRET_KEY_FILE: conflicting,
    });
    expect(result.code).toBe(2);
    // (On Node 20 the AWS SDK also prints a support warning; the config lines are what counts.)
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('config error:'));
    expect(lines).toEqual([
      'config error: JWT_SECRET_KEY_FILE: cannot be combined with JWT_SECRET_KEY; set only one of them',
      expect.stringMatching(/^config error: USER_SERVICE_SECRET_NAME: .*lacks a valid host/),
    ]);
    for (const secret of ['pw-in-secret-9f3', 'file-held-secret', 'inline-held-secret']) {
      expect(result.stderr).not.toContain(secret);
    }
  });

  it.skipIf(TEST_DB_KIND !== 'postgres')(
    'migrate reaches PostgreSQL with credentials from Secrets Manager',
    async () => {
      const result = await runCli(['migrate'], {
        ...aws(),
        USER_SERVICE_SECRET_NAME: 'gatehouse/test',
      });
      expect(result.stderr).not.toContain('config error');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('migrations applied (postgres)');
      expect(standIn.requests.map((r) => r.secretId)).toContain('gatehouse/test');
    },
  );
});
