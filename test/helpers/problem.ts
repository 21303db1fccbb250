import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { json } from './app.js';

/**
 * Asserts an RFC 9457 problem response with Gatehouse's fields and returns its body. `instance`
 * is the request path and `request_id` matches the `x-request-id` response header.
 */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = json(response);
  expect(body).toMatchObject({
    type: `urn:gatehouse:problem:${code}`,
    status,
    code,
  });
  expect(typeof body.title).toBe('string');
  expect(body.title.length).toBeGreaterThan(0);
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  expect(typeof body.instance).toBe('string');
  expect(body.instance.startsWith('/')).toBe(true);
  expect(typeof body.request_id).toBe('string');
  expect(body.request_id).toBe(response.headers['x-request-id']);
  return body;
}

/** The fields named in a 422's `errors` array. */
export function problemFields(body: { errors?: { field: string; message: string }[] }): string[] {
  expect(Array.isArray(body.errors)).toBe(true);
  for (const error of body.errors ?? []) {
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
  }
  return (body.errors ?? []).map((e) => e.field);
}
