import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  buildTestApp,
  get,
  json,
  newAccount,
  post,
  registerAndLogin,
  type TestApp,
} from '../helpers/app.js';
import { meStatus, patch, postRaw } from '../helpers/http.js';
import { expectProblem, problemFields } from '../helpers/problem.js';

const PASSWORD = 'Sunset-Harbor-errors-Lantern';

describe('errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('bad JSON input', () => {
    const validationCases: [name: string, url: string, body: unknown, field: string][] = [
      ['register: empty object', '/auth/register', {}, 'email'],
      ['register: missing email', '/auth/register', { password: PASSWORD }, 'email'],
      ['register: missing password', '/auth/register', { email: 'a@example.com' }, 'password'],
      [
        'register: number for password',
        '/auth/register',
        { email: 'a@example.com', password: 12345678 },
        'password',
      ],
      [
        'register: array for email',
        '/auth/register',
        { email: ['a@example.com'], password: PASSWORD },
        'email',
      ],
      [
        'register: object for email',
        '/auth/register',
        { email: { $ne: null }, password: PASSWORD },
        'email',
      ],
      [
        'register: null for password',
        '/auth/register',
        { email: 'a@example.com', password: null },
        'password',
      ],
      [
        'register: boolean for username',
        '/auth/register',
        { email: 'a@example.com', username: true, password: PASSWORD },
        'username',
      ],
      [
        'register: number for full_name',
        '/auth/register',
        { email: 'a@example.com', password: PASSWORD, full_name: 42 },
        'full_name',
      ],
      [
        'register: invalid email',
        '/auth/register',
        { email: 'not-an-email', password: PASSWORD },
        'email',
      ],
      [
        'register: email without domain',
        '/auth/register',
        { email: 'someone@', password: PASSWORD },
        'email',
      ],
      [
        'register: email with two @',
        '/auth/register',
        { email: 'some@one@example.com', password: PASSWORD },
        'email',
      ],
      [
        'register: email over 254 characters',
        '/auth/register',
        { email: `${'a'.repeat(250)}@example.com`, password: PASSWORD },
        'email',
      ],
      [
        'register: empty password',
        '/auth/register',
        { email: 'a@example.com', password: '' },
        'password',
      ],
      [
        'register: 2,000-character password',
        '/auth/register',
        { email: 'a@example.com', password: 'x'.repeat(2000) },
        'password',
      ],
      [
        'register: full_name over 200 characters',
        '/auth/register',
        { email: 'a@example.com', password: PASSWORD, full_name: 'n'.repeat(201) },
        'full_name',
      ],
      ['register: JSON array body', '/auth/register', [1, 2, 3], 'body'],
      ['login: missing password', '/auth/login', { identifier: 'someone' }, 'password'],
      ['login: number for password', '/auth/login', { identifier: 'x', password: 1 }, 'password'],
      [
        'login: array for identifier',
        '/auth/login',
        { identifier: ['a', 'b'], password: PASSWORD },
        'identifier',
      ],
      [
        'login: empty identifier',
        '/auth/login',
        { identifier: '', password: PASSWORD },
        'identifier',
      ],
      ['refresh: missing token', '/auth/refresh', {}, 'refresh_token'],
      ['refresh: number for token', '/auth/refresh', { refresh_token: 7 }, 'refresh_token'],
      [
        'signup: number for user_name',
        '/auth/signup',
        { user_name: 1, password: PASSWORD },
        'user_name',
      ],
    ];

    it.each(validationCases)(
      '%s → 422 validation_failed naming the field',
      async (_n, url, body, field) => {
        const response = await post(t.app, url, body);
        const problem = expectProblem(response, 422, 'validation_failed');
        expect(problemFields(problem)).toContain(field);
        expect(problem.detail).toContain(field);
      },
    );

    it('an empty body is a 422 naming the body, with or without a JSON content type', async () => {
      for (const contentType of [undefined, 'application/json']) {
        const response = await postRaw(t.app, '/auth/register', '', contentType);
        expect(problemFields(expectProblem(response, 422, 'validation_failed'))).toEqual(['body']);
      }
    });

    it.each([
      ['truncated', '{"email":'],
      ['unquoted keys', '{email: "a@example.com"}'],
      ['trailing garbage', '{"email":"a@example.com"} x'],
      ['single quotes', "{'email':'a@example.com'}"],
      ['bare word', 'hello'],
      ['prototype pollution via __proto__', '{"__proto__":{"admin":true},"email":"a@example.com"}'],
      ['prototype pollution via constructor', '{"constructor":{"prototype":{"admin":true}}}'],
    ])('malformed JSON (%s) → 400 bad_request', async (_name, body) => {
      const response = await postRaw(t.app, '/auth/register', body, 'application/json');
      expectProblem(response, 400, 'bad_request');
    });

    it('a 10 MB body → 413 payload_too_large', async () => {
      const body = JSON.stringify({
        email: 'big@example.com',
        password: PASSWORD,
        full_name: 'x'.repeat(10 * 1024 * 1024),
      });
      const response = await postRaw(t.app, '/auth/register', body, 'application/json');
      expectProblem(response, 413, 'payload_too_large');
      // Also as a form, and on an authenticated route.
      const form = await postRaw(
        t.app,
        '/auth/login',
        `username=a&password=${'x'.repeat(10 * 1024 * 1024)}`,
        'application/x-www-form-urlencoded',
      );
      expectProblem(form, 413, 'payload_too_large');
    });

    it.each(['application/xml', 'text/plain', 'multipart/form-data; boundary=x', 'image/png'])(
      'content type %s → 415 unsupported_media_type',
      async (contentType) => {
        const response = await postRaw(
          t.app,
          '/auth/register',
          JSON.stringify({ email: 'ct@example.com', password: PASSWORD }),
          contentType,
        );
        expectProblem(response, 415, 'unsupported_media_type');
      },
    );

    it('text the database cannot store is a 422, never a 500', async () => {
      const { accessToken } = await registerAndLogin(t.app);
      const cases: [string, Promise<Awaited<ReturnType<typeof post>>>, string][] = [
        [
          'NUL in full_name',
          post(t.app, '/auth/register', { ...newAccount(), full_name: 'a\u0000b' }),
          'full_name',
        ],
        [
          'NUL in a login identifier',
          post(t.app, '/auth/login', { identifier: 'ab\u0000cd', password: PASSWORD }),
          'identifier',
        ],
        [
          'NUL in an email identifier',
          post(t.app, '/auth/login', { identifier: 'a\u0000b@example.com', password: PASSWORD }),
          'identifier',
        ],
        [
          'NUL in a form login',
          postRaw(
            t.app,
            '/auth/login',
            'username=ab%00cd&password=x',
            'application/x-www-form-urlencoded',
          ),
          'username',
        ],
        [
          'NUL in a metadata value',
          patch(t.app, '/users/me', { metadata: { note: 'x\u0000y' } }, accessToken),
          'metadata.note',
        ],
        [
          'NUL in a metadata key',
          patch(t.app, '/users/me', { metadata: { 'k\u0000': 'v' } }, accessToken),
          'metadata',
        ],
        [
          'NUL in a profile full_name',
          patch(t.app, '/users/me', { full_name: 'x\u0000y' }, accessToken),
          'full_name',
        ],
        [
          'unpaired surrogate in metadata',
          t.app.inject({
            method: 'PATCH',
            url: `${API}/users/me`,
            headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
            payload: '{"metadata":{"k":"a\\ud800b"}}',
          }),
          'metadata.k',
        ],
        [
          'metadata nested 20,000 levels deep',
          t.app.inject({
            method: 'PATCH',
            url: `${API}/users/me`,
            headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
            payload: `{"metadata":{"k":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
          }),
          'metadata.k',
        ],
      ];
      for (const [name, pending, field] of cases) {
        const response = await pending;
        const problem = expectProblem(response, 422, 'validation_failed');
        expect(problem.errors[0].field, name).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
      }
      // The profile is untouched.
      const me = json(await get(t.app, '/users/me', accessToken));
      expect(me.metadata).toEqual({});
      expect(me.full_name).toBeNull();
    });
  });

  describe('unicode usernames', () => {
    const cases: [name: string, username: string, expected: 201 | 422][] = [
      ['Latin with diaeresis', 'Zoë', 201],
      ['CJK', '李小龙', 201],
      ['Arabic (right-to-left)', 'مرحبا', 201],
      ['Arabic-Indic digits', '١٢٣', 201],
      ['emoji', '😀😀😀', 422],
      ['with spaces', 'john doe', 422],
      ['with @', 'jo@hn', 422],
      ['one character', 'j', 422],
      ['65 characters', 'a'.repeat(65), 422],
      ['zero-width space inside', 'ab\u200Bcd', 422],
      ['right-to-left override inside', 'ab\u202Ecd', 422],
      ['only spaces', '   ', 422],
      ['control character', 'ab\u0007cd', 422],
    ];

    it.each(cases)('%s → %s, never 500', async (_name, username, expected) => {
      const response = await post(t.app, '/auth/register', newAccount({ username }));
      expect(response.statusCode, response.body).toBe(expected);
      if (expected === 201) {
        expect(json(response).user.username).toBe(username.normalize('NFKC'));
      } else {
        expect(problemFields(expectProblem(response, 422, 'validation_failed'))).toEqual([
          'username',
        ]);
      }
    });

    it('usernames are NFKC-normalized: ÅSA decomposed and composed are one account', async () => {
      const decomposed = 'A\u030ASA';
      const composed = '\u00C5SA';
      expect(decomposed).not.toBe(composed);
      const account = newAccount({ username: decomposed });
      const response = await post(t.app, '/auth/register', account);
      expect(response.statusCode, response.body).toBe(201);
      expect(json(response).user.username).toBe(composed);

      const login = await post(t.app, '/auth/login', {
        identifier: composed,
        password: account.password,
      });
      expect(login.statusCode).toBe(200);
      const duplicate = await post(t.app, '/auth/register', newAccount({ username: composed }));
      expect(expectProblem(duplicate, 409, 'conflict').errors[0].field).toBe('username');
      // Compatibility forms fold too: the ligature "ﬀ" is "ff".
      const ligature = await post(t.app, '/auth/register', newAccount({ username: 'ﬀoo' }));
      expect(json(ligature).user.username).toBe('ffoo');
    });

    it('surrounding spaces are trimmed', async () => {
      const response = await post(t.app, '/auth/register', newAccount({ username: '  padded  ' }));
      expect(response.statusCode).toBe(201);
      expect(json(response).user.username).toBe('padded');
    });
  });

  describe('routing', () => {
    it.each(['/nope', '/api/v1/nope', '/api/v2/auth/login', '/api/v1/users/me/nothing'])(
      'unknown path %s → 404 not_found problem',
      async (url) => {
        const response = await t.app.inject({ method: 'GET', url });
        const problem = expectProblem(response, 404, 'not_found');
        expect(problem.instance).toBe(url);
      },
    );

    it.each([
      ['DELETE', '/health', ['GET']],
      ['POST', '/health', ['GET']],
      ['GET', '/api/v1/auth/login', ['POST']],
      ['PUT', '/api/v1/auth/register', ['POST']],
      ['DELETE', '/api/v1/auth/refresh', ['POST']],
      ['PUT', '/api/v1/users/me', ['GET', 'PATCH']],
      ['POST', '/.well-known/jwks.json', ['GET']],
    ] as const)('%s %s → 405 with Allow', async (method, url, allowed) => {
      const response = await t.app.inject({ method, url });
      const problem = expectProblem(response, 405, 'method_not_allowed');
      const allow = String(response.headers.allow).split(/,\s*/);
      for (const m of allowed) expect(allow).toContain(m);
      expect(allow).not.toContain(method);
      expect(problem.instance).toBe(url);
    });

    it('a trailing slash reaches the same route', async () => {
      const { accessToken } = await registerAndLogin(t.app);
      const response = await t.app.inject({
        method: 'GET',
        url: `${API}/users/me/`,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(response.statusCode).toBe(200);
    });
  });

  describe('authorization header', () => {
    const guarded: InjectOptions[] = [
      { method: 'GET', url: `${API}/users/me` },
      { method: 'PATCH', url: `${API}/users/me`, payload: { full_name: 'x' } },
      { method: 'GET', url: `${API}/auth/userinfo` },
      { method: 'POST', url: `${API}/auth/logout` },
      { method: 'POST', url: `${API}/auth/logout-all` },
    ];

    it.each(guarded)('$method $url without a token → 401 unauthorized', async (request) => {
      const response = await t.app.inject(request);
      expectProblem(response, 401, 'unauthorized');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it.each([
      ['Basic scheme', 'Basic dXNlcjpwYXNz', 'unauthorized'],
      ['empty bearer', 'Bearer ', 'unauthorized'],
      ['bearer with spaces', 'Bearer a b c', 'unauthorized'],
      ['no scheme', 'eyJhbGciOiJFUzI1NiJ9.e30.sig', 'unauthorized'],
      ['garbage token', 'Bearer garbage', 'invalid_token'],
      ['three garbage parts', 'Bearer abc.def.ghi', 'invalid_token'],
      ['JSON in the header', 'Bearer {"alg":"none"}', 'unauthorized'],
      ['very long token', `Bearer ${'a'.repeat(8000)}`, 'invalid_token'],
    ])('%s → 401 %s', async (_name, authorization, code) => {
      const response = await t.app.inject({
        method: 'GET',
        url: `${API}/users/me`,
        headers: { authorization },
      });
      expectProblem(response, 401, code);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('the bearer scheme is case-insensitive', async () => {
      const { accessToken } = await registerAndLogin(t.app);
      const response = await t.app.inject({
        method: 'GET',
        url: `${API}/users/me`,
        headers: { authorization: `bearer ${accessToken}` },
      });
      expect(response.statusCode).toBe(200);
    });
  });

  describe('request ids', () => {
    it('echoes a sane X-Request-Id in the header and the problem body', async () => {
      const id = 'trace-0af7651916cd43dd:8448eb211c80319c.1';
      const response = await t.app.inject({
        method: 'GET',
        url: `${API}/users/me`,
        headers: { 'x-request-id': id },
      });
      expect(response.headers['x-request-id']).toBe(id);
      expect(expectProblem(response, 401, 'unauthorized').request_id).toBe(id);

      const ok = await t.app.inject({
        method: 'GET',
        url: '/health',
        headers: { 'x-request-id': id },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-request-id']).toBe(id);
    });

    it.each([
      ['with spaces', 'a b c'],
      ['too long', 'x'.repeat(129)],
      ['with markup', '<script>alert(1)</script>'],
      ['with a newline-like escape', 'abc%0d%0aSet-Cookie:x'],
    ])('replaces an insane X-Request-Id (%s) with its own', async (_name, id) => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/nope',
        headers: { 'x-request-id': id },
      });
      const problem = expectProblem(response, 404, 'not_found');
      expect(problem.request_id).not.toBe(id);
      expect(problem.request_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('gives every request its own id when none is sent', async () => {
      const a = await t.app.inject({ method: 'GET', url: '/health' });
      const b = await t.app.inject({ method: 'GET', url: '/health' });
      expect(a.headers['x-request-id']).toBeTruthy();
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('PATCH /users/me', () => {
    it('a username taken by someone else → 409 conflict on username', async () => {
      const first = await registerAndLogin(t.app);
      const second = await registerAndLogin(t.app);
      for (const username of [first.account.username, first.account.username.toUpperCase()]) {
        const response = await patch(t.app, '/users/me', { username }, second.accessToken);
        const problem = expectProblem(response, 409, 'conflict');
        expect(problem.errors).toEqual([{ field: 'username', message: expect.any(String) }]);
      }
      expect(json(await get(t.app, '/users/me', second.accessToken)).username).toBe(
        second.account.username,
      );
      // Your own username, in another case, is not a conflict.
      const own = await patch(
        t.app,
        '/users/me',
        { username: second.account.username.toUpperCase() },
        second.accessToken,
      );
      expect(own.statusCode, own.body).toBe(200);
    });

    it('metadata over 16 KB → 422 naming metadata', async () => {
      const { accessToken } = await registerAndLogin(t.app);
      const response = await patch(
        t.app,
        '/users/me',
        { metadata: { blob: 'x'.repeat(17 * 1024) } },
        accessToken,
      );
      expect(problemFields(expectProblem(response, 422, 'validation_failed'))).toEqual([
        'metadata',
      ]);
      // Just under the cap is fine.
      const fits = await patch(
        t.app,
        '/users/me',
        { metadata: { blob: 'x'.repeat(16 * 1024 - 20) } },
        accessToken,
      );
      expect(fits.statusCode, fits.body).toBe(200);
    });

    it.each([
      ['empty object', {}, 'body'],
      ['metadata as an array', { metadata: [1, 2] }, 'metadata'],
      ['metadata as a string', { metadata: 'x' }, 'metadata'],
      ['number for full_name', { full_name: 5 }, 'full_name'],
      ['full_name over 200 characters', { full_name: 'n'.repeat(201) }, 'full_name'],
      ['invalid username', { username: 'no spaces allowed' }, 'username'],
      ['empty username', { username: '' }, 'username'],
    ])('%s → 422 naming %s', async (_name, body, field) => {
      const { accessToken } = await registerAndLogin(t.app);
      const response = await patch(t.app, '/users/me', body, accessToken);
      expect(problemFields(expectProblem(response, 422, 'validation_failed'))).toContain(field);
      expect(await meStatus(t.app, accessToken)).toBe(200);
    });

    it('unknown fields are ignored, not stored', async () => {
      const { accessToken, account } = await registerAndLogin(t.app);
      const response = await patch(
        t.app,
        '/users/me',
        { full_name: 'Kept', email: 'hijack@example.com', status: 'admin', id: 'x' },
        accessToken,
      );
      expect(response.statusCode).toBe(200);
      expect(json(response)).toMatchObject({
        full_name: 'Kept',
        email: account.email,
        status: 'active',
      });
    });
  });
});
