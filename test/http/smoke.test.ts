import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, json, registerAndLogin, type TestApp } from '../helpers/app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers, logs in and reads the profile', async () => {
    const { accessToken, account } = await registerAndLogin(t.app);
    const me = await get(t.app, '/users/me', accessToken);
    expect(me.statusCode).toBe(200);
    expect(json(me).email).toBe(account.email);
  });
});
