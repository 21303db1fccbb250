import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, json, type TestApp } from '../helpers/app.js';

/** Script and stylesheet URLs of an HTML page. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map(
    (m) => m[1]!,
  );
}

describe('platform', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const getPath = (url: string) => t.app.inject({ method: 'GET', url });

  it('GET /health → 200 {status: ok}', async () => {
    const response = await getPath('/health');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(json(response)).toEqual({ status: 'ok' });
  });

  it('GET /ready → 200 with the database check ok', async () => {
    const response = await getPath('/ready');
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(body.status).toBe('ready');
    expect(body.checks.database).toEqual({ status: 'ok' });
  });

  it('GET /.well-known/openid-configuration describes the issuer', async () => {
    const response = await getPath('/.well-known/openid-configuration');
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(body.issuer).toBe(t.config.tokens.issuer);
    expect(body.jwks_uri).toBe('http://gatehouse.test/.well-known/jwks.json');
    expect(body.userinfo_endpoint).toBe('http://gatehouse.test/api/v1/auth/userinfo');
    expect(body.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(body.grant_types_supported).toEqual(
      expect.arrayContaining(['password', 'refresh_token']),
    );
    expect(body.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'email', 'preferred_username', 'roles', 'sid']),
    );
    // The advertised endpoints exist where they say.
    const jwks = await getPath(new URL(body.jwks_uri).pathname);
    expect(jwks.statusCode).toBe(200);
    const userinfo = await getPath(new URL(body.userinfo_endpoint).pathname);
    expect(userinfo.statusCode).toBe(401);
  });

  it('GET /.well-known/jwks.json publishes public keys only', async () => {
    const response = await getPath('/.well-known/jwks.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toMatch(/public/);
    const { keys } = json(response);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof keys[0].kid).toBe('string');
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('GET /openapi.json is OpenAPI 3.1 and lists the core routes', async () => {
    const response = await getPath('/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const spec = json(response);
    expect(spec.openapi).toMatch(/^3\.1\./);
    expect(spec.info.title).toBe('Gatehouse');
    expect(typeof spec.info.version).toBe('string');
    expect(spec.paths['/api/v1/auth/register']).toHaveProperty('post');
    expect(spec.paths['/api/v1/auth/login']).toHaveProperty('post');
    expect(spec.paths['/api/v1/users/me']).toHaveProperty('get');
    expect(spec.paths['/api/v1/users/me']).toHaveProperty('patch');
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    // Error responses are documented as problems.
    expect(spec.paths['/api/v1/auth/register'].post.responses).toHaveProperty('409');
  });

  describe('documentation UIs work offline', () => {
    it('/docs serves Swagger UI with local assets', async () => {
      const response = await getPath('/docs');
      // Either the page itself or a redirect to it.
      let page = response;
      if (response.statusCode >= 300 && response.statusCode < 400) {
        page = await getPath(new URL(response.headers.location!, 'http://x').pathname);
      }
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toMatch(/swagger-ui/i);
      const assets = assetUrls(page.body);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        expect(asset, 'no CDN').not.toMatch(/^(https?:)?\/\//);
      }
    });

    it('/docs/ and its static assets are served', async () => {
      const slash = await getPath('/docs/');
      expect(slash.statusCode).toBe(200);
      expect(slash.body).toMatch(/swagger-ui/i);

      let index = await getPath('/docs/static/index.html');
      if (index.statusCode >= 300 && index.statusCode < 400) {
        const target = new URL(index.headers.location!, 'http://x/docs/static/index.html');
        index = await getPath(target.pathname);
      }
      expect(index.statusCode).toBe(200);
      expect(index.body.length).toBeGreaterThan(0);

      for (const asset of assetUrls(slash.body)) {
        const url = new URL(asset, 'http://x/docs/').pathname;
        const response = await getPath(url);
        expect(response.statusCode, url).toBe(200);
        expect(response.body.length, url).toBeGreaterThan(0);
      }
      const bundle = await getPath('/docs/static/swagger-ui-bundle.js');
      expect(bundle.statusCode).toBe(200);
      expect(bundle.headers['content-type']).toMatch(/javascript/);
      expect(bundle.body.length).toBeGreaterThan(100_000);
    });

    it('/redoc serves Redoc and its standalone bundle locally', async () => {
      const page = await getPath('/redoc');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('/openapi.json');
      const scripts = assetUrls(page.body);
      expect(scripts).toContain('/redoc/redoc.standalone.js');
      for (const asset of scripts) expect(asset, 'no CDN').not.toMatch(/^(https?:)?\/\//);

      const bundle = await getPath('/redoc/redoc.standalone.js');
      expect(bundle.statusCode).toBe(200);
      expect(bundle.headers['content-type']).toMatch(/javascript/);
      expect(bundle.body.length).toBeGreaterThan(100_000);
    });
  });
});

describe('readiness when the database is gone', () => {
  it('GET /ready → 503 naming the database while /health stays 200', async () => {
    const t = await buildTestApp();
    try {
      await t.gatehouse.database.close();
      const ready = await t.app.inject({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(503);
      const body = json(ready);
      expect(body.status).toBe('not_ready');
      expect(body.checks.database.status).toBe('error');
      expect(typeof body.checks.database.error).toBe('string');
      // No connection string or credentials in the answer.
      expect(ready.body).not.toMatch(/postgres(ql)?:\/\//);

      const health = await t.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
