import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openGatehouse, type Gatehouse } from '../src/gatehouse.js';
import { FAST_HASH_ENV, json, tempDir } from './helpers/app.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

describe('GET /ready with dependencies added by the caller', () => {
  let db: TestDatabase;
  let gatehouse: Gatehouse;
  let brokerUp = true;
  afterAll(async () => {
    await gatehouse?.close();
    await db?.drop();
  });

  it('lists each check and is 503 while any of them fails', async () => {
    db = await createTestDatabase();
    const config = loadConfig({
      DATA_DIR: tempDir('data-'),
      LOG_LEVEL: 'silent',
      ...FAST_HASH_ENV,
    });
    gatehouse = await openGatehouse(config, {
      database: await db.open(),
      logger: false,
      skipMigrations: db.kind === 'postgres',
      readinessChecks: [
        {
          name: 'broker',
          check: async () => {
            if (!brokerUp)
              throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
          },
        },
      ],
    });
    const ready = await gatehouse.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(json(ready)).toEqual({
      status: 'ready',
      checks: { database: { status: 'ok' }, broker: { status: 'ok' } },
    });

    brokerUp = false;
    const down = await gatehouse.app.inject({ method: 'GET', url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(json(down)).toEqual({
      status: 'not_ready',
      checks: {
        database: { status: 'ok' },
        broker: { status: 'error', error: 'ECONNREFUSED: connection refused' },
      },
    });
  });
});
