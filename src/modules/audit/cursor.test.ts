import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { decodeCursor, encodeCursor, parseTypeFilter } from './service.js';

describe('audit cursor', () => {
  it('round-trips the position of the last item', () => {
    const position = { occurredAt: new Date('2026-11-23T10:00:00.123Z'), seq: 4711 };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each([
    '',
    'garbage',
    Buffer.from('2026-01-01T00:00:00Z|').toString('base64url'),
    Buffer.from('not-a-date|5').toString('base64url'),
    Buffer.from('2026-01-01T00:00:00Z|5; DROP TABLE').toString('base64url'),
  ])('refuses %j as a 422 on the cursor field', (cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation_failed');
    expect((error as AppError).extra.errors?.[0]?.field).toBe('cursor');
  });
});

describe('audit type filter', () => {
  it('reads an exact type, or a prefix ending in ".*"', () => {
    expect(parseTypeFilter('auth.login_failed')).toEqual({ exact: 'auth.login_failed' });
    expect(parseTypeFilter('auth.*')).toEqual({ prefix: 'auth.' });
    expect(parseTypeFilter('user.roles_changed')).toEqual({ exact: 'user.roles_changed' });
  });

  it.each(['', '*', 'auth.', 'auth.%', "auth.*'", 'Auth.login', 'auth.*.x', 'a'.repeat(101)])(
    'refuses %j as a 422 on the type field',
    (raw) => {
      let error: unknown;
      try {
        parseTypeFilter(raw);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).extra.errors?.[0]?.field).toBe('type');
    },
  );
});
