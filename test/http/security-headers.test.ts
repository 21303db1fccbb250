import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, newAccount, post, type TestApp } from '../helpers/app.js';

function cspOf(response: { headers: Record<string, unknown> }): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/** @see issue #5 — hardening: security headers, CSP that keeps the docs working, CORS. */
describe('security headers and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      env: { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('every response carries the helmet headers and a strict CSP', async () => {
    for (const url of ['/health', '/api/v1/users/me', '/nowhere']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-powered-by']).toBeUndefined();
      const csp = cspOf(response);
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
    }
  });

  it('token responses are not cached', async () => {
    const account = newAccount();
    await post(t.app, '/auth/register', account);
    const login = await post(t.app, '/auth/login', {
      identifier: account.email,
      password: account.password,
    });
    expect(login.headers['cache-control']).toBe('no-store');
  });

  it('/docs (Swagger UI) works under the CSP: only same-origin scripts, all served locally', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    const html = page.statusCode === 302 ? '' : page.body;
    const docs =
      html || (await t.app.inject({ method: 'GET', url: '/docs/static/index.html' })).body;
    expect(docs).toContain('swagger-ui');
    const scripts = [...docs.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      // No inline script (script-src 'self' would block it), no other origin.
      expect(attributes).toMatch(/src="\.?\/?[^":]+"/);
      expect(body!.trim()).toBe('');
    }
    for (const asset of ['swagger-ui-bundle.js', 'swagger-initializer.js', 'swagger-ui.css']) {
      const response = await t.app.inject({ method: 'GET', url: `/docs/static/${asset}` });
      expect(response.statusCode, asset).toBe(200);
    }
    const initializer = await t.app.inject({
      method: 'GET',
      url: '/docs/static/swagger-initializer.js',
    });
    expect(initializer.body).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis/);
  });

  it('/redoc works under its CSP: local bundle, eval and blob workers allowed on that page only', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/redoc' });
    expect(page.statusCode).toBe(200);
    const csp = cspOf(page);
    expect(csp.get('script-src')).toEqual(["'self'", "'unsafe-eval'"]);
    expect(csp.get('worker-src')).toContain('blob:');
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain('src="/redoc/redoc.standalone.js"');
    expect(scripts[0]![2]!.trim()).toBe('');
    const bundle = await t.app.inject({ method: 'GET', url: '/redoc/redoc.standalone.js' });
    expect(bundle.statusCode).toBe(200);
    expect(cspOf(await t.app.inject({ method: 'GET', url: '/health' })).get('script-src')).toEqual([
      "'self'",
    ]);
  });

  it('CORS: a listed origin is allowed (preflight and request), others get no CORS headers', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/auth/login',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();

    const allowed = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://admin.example.com' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(String(allowed.headers['access-control-expose-headers'])).toContain(
      'ratelimit-remaining',
    );

    const denied = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://evil.example.net' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('without CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('no origin is allowed', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://app.example.com' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
