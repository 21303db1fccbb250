import type { FastifyInstance, InjectOptions } from 'fastify';
import { API, json, post } from './app.js';

/** More request helpers beside `post`/`get` of app.ts; URLs are relative to `/api/v1`. */

export async function patch(app: FastifyInstance, url: string, payload: unknown, token?: string) {
  return app.inject({
    method: 'PATCH',
    url: `${API}${url}`,
    payload: payload as InjectOptions['payload'],
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** An `application/x-www-form-urlencoded` POST (OAuth2 password and refresh grants). */
export async function postForm(app: FastifyInstance, url: string, fields: Record<string, string>) {
  return app.inject({
    method: 'POST',
    url: `${API}${url}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** POST with a raw body and content type, for malformed input. */
export async function postRaw(
  app: FastifyInstance,
  url: string,
  body: string | Buffer,
  contentType: string | undefined,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: `${API}${url}`,
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    payload: body,
  });
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** Logs in and returns the token pair, failing the test on anything but 200. */
export async function login(app: FastifyInstance, identifier: string, password: string) {
  const response = await post(app, '/auth/login', { identifier, password });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`);
  const body = json(response);
  return { accessToken: body.access_token as string, refreshToken: body.refresh_token as string };
}

export async function refresh(app: FastifyInstance, refreshToken: string) {
  return post(app, '/auth/refresh', { refresh_token: refreshToken });
}

/** Status of GET /users/me with this access token. */
export async function meStatus(app: FastifyInstance, accessToken: string): Promise<number> {
  const response = await app.inject({
    method: 'GET',
    url: `${API}/users/me`,
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return response.statusCode;
}

/** Rows of a raw query; node-postgres and PGlite both answer `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: T[] }).rows;
  if (!Array.isArray(rows)) throw new Error('unexpected query result shape');
  return rows;
}

/** Any method on an API path (`/roles`), with an optional bearer token and JSON body. */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  token?: string,
  payload?: unknown,
) {
  return app.inject({
    method,
    url: `/api/v1${url}`,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}
