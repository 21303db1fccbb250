import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, newAccount, post, type TestApp } from './helpers/app.js';
import { TEST_DB_KIND } from './helpers/database.js';
import { startOtlpCollector, type OtlpCollector } from './helpers/otlp-collector.js';
import { startServer, type ServerProcess } from './helpers/server.js';

const SERVER_SPAN = 2;

describe('OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  let collector: OtlpCollector;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    collector = await startOtlpCollector();
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await collector.close();
  });

  it('exports HTTP, Fastify and database spans, and logs carry their trace id', async () => {
    server = await startServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const account = newAccount();
    const call = (path: string, body: unknown) =>
      fetch(`${server!.url}/api/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await call('/auth/register', account)).status).toBe(201);
    const login = await call('/auth/login', {
      identifier: account.email,
      password: account.password,
    });
    expect(login.status).toBe(200);
    const requestId = login.headers.get('x-request-id');
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    // Shutdown flushes the span processor.
    expect(await server.stop()).toBe(0);

    const serverSpan = collector.spans.find(
      (s) =>
        s.scope === '@opentelemetry/instrumentation-http' &&
        s.kind === SERVER_SPAN &&
        s.name.startsWith('POST') &&
        s.attributes['http.route'] === '/api/v1/auth/login',
    );
    expect(serverSpan, JSON.stringify(collector.spans.map((s) => s.name))).toBeDefined();
    const trace = collector.spans.filter((s) => s.traceId === serverSpan!.traceId);
    const fastify = trace.filter((s) => s.scope === '@fastify/otel');
    expect(fastify.map((s) => s.name)).toContain('request');
    expect(fastify.some((s) => s.name.startsWith('handler - '))).toBe(true);
    // Span names stay short: no plugin source text.
    for (const span of fastify) expect(span.name.length).toBeLessThan(100);
    if (TEST_DB_KIND === 'postgres') {
      expect(trace.some((s) => s.scope === '@opentelemetry/instrumentation-pg')).toBe(true);
    }
    // Probes are not traced.
    expect(
      collector.spans.some(
        (s) => s.attributes['url.path'] === '/health' || s.name.includes('/health'),
      ),
    ).toBe(false);

    // Every log line of the request carries its request id and the trace id.
    const lines = server.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.request_id === requestId);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.trace_id).toBe(serverSpan!.traceId);
  });
});

/** A local stand-in for Sentry's ingest: collects envelope items. */
async function startSentry() {
  const events: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      raw.push(text);
      const [, ...items] = text.split('\n').filter(Boolean);
      for (let i = 0; i + 1 < items.length; i += 2) {
        const header = JSON.parse(items[i]!) as { type?: string };
        if (header.type === 'event') events.push(JSON.parse(items[i + 1]!));
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    dsn: `http://publickey@127.0.0.1:${port}/42`,
    events,
    raw,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Sentry error reporting (SENTRY_DSN set)', () => {
  let sentry: Awaited<ReturnType<typeof startSentry>>;
  let t: TestApp | undefined;
  beforeAll(async () => {
    sentry = await startSentry();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await sentry.close();
  });

  it('reports unexpected 5xx errors only, with no request data', async () => {
    t = await buildTestApp({ env: { SENTRY_DSN: sentry.dsn } });
    const account = newAccount();
    expect((await post(t.app, '/auth/register', account)).statusCode).toBe(201);
    // A refusal (401) is not an error worth reporting.
    expect(
      (await post(t.app, '/auth/login', { identifier: account.email, password: 'wrong-password' }))
        .statusCode,
    ).toBe(401);

    // The database goes away under the app: the next login fails unexpectedly.
    await t.gatehouse.database.close();
    const failed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login?token=query-secret-77',
      headers: { authorization: 'Bearer header-secret-55', cookie: 'sid=cookie-secret-66' },
      payload: { identifier: account.email, password: account.password },
    });
    expect(failed.statusCode).toBe(500);
    await t.gatehouse.close(); // flushes the reporter

    expect(sentry.events).toHaveLength(1);
    const event = sentry.events[0] as {
      tags?: Record<string, string>;
      exception?: { values?: unknown[] };
    };
    expect(event.tags).toMatchObject({
      request_id: failed.headers['x-request-id'],
      route: '/api/v1/auth/login',
      method: 'POST',
    });
    expect(event.exception?.values?.length).toBeGreaterThan(0);
    const everything = sentry.raw.join('\n');
    for (const secret of [
      account.password,
      account.email,
      'header-secret-55',
      'cookie-secret-66',
      'query-secret-77',
    ]) {
      expect(everything).not.toContain(secret);
    }
  });
});
