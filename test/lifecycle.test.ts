import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, json, newAccount, post, type TestApp } from './helpers/app.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { parseExposition, valueOf } from './helpers/prometheus.js';
import { startServer, type ServerProcess } from './helpers/server.js';

/** DESIGN §4 argon2 parameters: a login costs a real hash, long enough to be caught mid-flight. */
const PRODUCTION_HASH = {
  PASSWORD_HASH_MEMORY_KIB: '19456',
  PASSWORD_HASH_ITERATIONS: '2',
  PASSWORD_HASH_PARALLELISM: '1',
};

async function metric(t: TestApp, name: string, labels: Record<string, string> = {}) {
  const families = parseExposition((await t.gatehouse.metrics.render()).body);
  return valueOf(families, name, labels) ?? 0;
}

const loginCount = (t: TestApp, outcome: string) =>
  metric(t, 'gatehouse_logins_total', { outcome });

describe('graceful shutdown of the real process', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    server?.child.kill('SIGKILL');
    server = undefined;
  });

  it('SIGTERM lets every in-flight login finish with 200, then exits 0', async () => {
    server = await startServer(PRODUCTION_HASH);
    const account = newAccount();
    const registered = await fetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    });
    expect(registered.status).toBe(201);

    const started = server.lines.length;
    const logins = Array.from({ length: 6 }, () =>
      fetch(`${server!.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: account.email, password: account.password }),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { access_token?: unknown },
      })),
    );
    // Every login has reached the server (and waits on argon2) before the signal.
    await server.waitForLine(
      () => server!.lines.slice(started).filter((l) => l.includes('incoming request')).length >= 6,
    );
    server.child.kill('SIGTERM');

    const results = await Promise.all(logins);
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(typeof result.body.access_token).toBe('string');
    }
    expect(await server.exited).toBe(0);
    const logged = server.lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(logged.filter((l) => l.level >= 50)).toEqual([]);
    expect(logged.some((l) => l.msg === 'shutting down')).toBe(true);
    // Tracing is off without an OTLP endpoint: no trace ids, request ids still there.
    expect(server.lines.some((line) => line.includes('trace_id'))).toBe(false);
    expect(server.lines.filter((line) => line.includes('"request_id"')).length).toBeGreaterThan(6);
    // The port is closed once the process has gone.
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('exits 1 when a request is still running at SHUTDOWN_TIMEOUT_SECONDS', async () => {
    server = await startServer({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const { port } = new URL(server.url);
    // A client that sends half a body and then nothing: the request never completes.
    const stuck = http.request({
      host: '127.0.0.1',
      port: Number(port),
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json', 'content-length': '1000' },
    });
    stuck.on('error', () => undefined);
    stuck.write('{"identifier":');
    await server.waitForLine((line) => line.includes('incoming request'));
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    const took = Date.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5_000);
    expect(server.lines.some((line) => line.includes('shutdown timed out'))).toBe(true);
    stuck.destroy();
  });
});

describe('gatehouse.close()', () => {
  let apps: TestApp[] = [];
  let databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.allSettled(apps.map((a) => a.stop()));
    await Promise.allSettled(databases.map((d) => d.drop()));
    apps = [];
    databases = [];
  });

  async function start() {
    const db = await createTestDatabase();
    databases.push(db);
    const t = await buildTestApp({ db, env: PRODUCTION_HASH });
    apps.push(t);
    return t;
  }

  /** @see issue #8: pools closed under handlers whose client had hung up (500s in the log). */
  it('waits for handlers whose client hung up before the pools are closed', async () => {
    const t = await start();
    const account = newAccount();
    expect((await post(t.app, '/auth/register', account)).statusCode).toBe(201);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };

    // A login whose client gives up while argon2 runs.
    const body = JSON.stringify({ identifier: account.email, password: account.password });
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', () => undefined);
    request.end(body);
    // Hang up once the server is handling it (argon2 is running by then).
    while ((await metric(t, 'gatehouse_http_requests_in_flight')) < 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 10));

    // As `serve` does: close the app, then the pools.
    await t.gatehouse.close();
    await t.gatehouse.database.close();
    // The abandoned login ran to its end on an open database: counted as a success, not an error.
    expect(await loginCount(t, 'success')).toBe(1);
    expect(await loginCount(t, 'error')).toBe(0);
    expect(await metric(t, 'gatehouse_http_requests_in_flight')).toBe(0);
  });

  it('turns readiness off as soon as shutdown starts', async () => {
    const t = await start();
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    const account = newAccount();
    expect((await post(t.app, '/auth/register', account)).statusCode).toBe(201);
    const inFlight = post(t.app, '/auth/login', {
      identifier: account.email,
      password: account.password,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = t.gatehouse.close();
    const ready = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect((await inFlight).statusCode).toBe(200);
    expect(json(await inFlight).access_token).toBeTypeOf('string');
    await closing;
  });

  it('runs shutdown steps after HTTP stops and before the database closes, last added first', async () => {
    const t = await start();
    const order: string[] = [];
    t.gatehouse.onShutdown('first', async () => {
      order.push('first');
    });
    t.gatehouse.onShutdown('failing', async () => {
      order.push('failing');
      throw new Error('boom');
    });
    t.gatehouse.onShutdown('last', async () => {
      // HTTP is closed by now, the database still answers.
      await t.gatehouse.database.ping();
      order.push('last');
    });
    await t.gatehouse.close();
    expect(order).toEqual(['last', 'failing', 'first']);
  });
});
