import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { redactQueryParams, serializeError } from './redact.js';

describe('redactQueryParams / serializeError', () => {
  const cause = new Error('Cannot use a pool after calling end on the pool');
  const error = new DrizzleQueryError(
    'select "id" from "users" where "users"."email" = $1 limit $2',
    ['someone@example.com\nsecond line', 1],
    cause,
  );

  it('keeps the SQL and drops the bound values from message and stack', () => {
    const serialized = serializeError(error);
    for (const text of [serialized.message, serialized.stack]) {
      expect(text).toContain('select "id" from "users"');
      expect(text).toContain('params: [redacted]');
      expect(text).not.toContain('someone@example.com');
      expect(text).not.toContain('second line');
    }
    expect(serialized.stack).toMatch(/\n\s+at /);
    expect(serialized).not.toHaveProperty('params');
    expect(JSON.stringify(serialized)).not.toContain('someone@example.com');
  });

  it('leaves other messages alone', () => {
    expect(redactQueryParams('connect ECONNREFUSED 127.0.0.1:5432')).toBe(
      'connect ECONNREFUSED 127.0.0.1:5432',
    );
    expect(serializeError(cause).message).toBe(cause.message);
  });
});
