import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { decodeDirectoryCursor, encodeDirectoryCursor, escapeLike } from './user-directory.js';

const ID = '6d2b3c1e-0000-4000-8000-00000000abcd';
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

describe('escapeLike', () => {
  it('makes %, _ and \\ literal and leaves the rest alone', () => {
    expect(escapeLike('50%_off\\now')).toBe('50\\%\\_off\\\\now');
    expect(escapeLike('Zoë O’Brien')).toBe('Zoë O’Brien');
  });
});

describe('directory cursor', () => {
  it('round-trips a position to the microsecond', () => {
    const position = { createdAt: '2024-02-29T23:59:59.123456Z', id: ID };
    expect(decodeDirectoryCursor(encodeDirectoryCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64 json', 'not a cursor'],
    ['an impossible date', cursorOf(`2023-02-29T00:00:00.000000Z|${ID}`)],
    ['milliseconds only', cursorOf(`2024-01-01T00:00:00.000Z|${ID}`)],
    ['an id that is no uuid', cursorOf('2024-01-01T00:00:00.000000Z|42')],
    ['extra parts', cursorOf(`2024-01-01T00:00:00.000000Z|${ID}|x`)],
    ['an upper-case id', cursorOf(`2024-01-01T00:00:00.000000Z|${ID.toUpperCase()}`)],
  ])('refuses %s as a 422 naming cursor', (_label, cursor) => {
    let thrown: unknown;
    try {
      decodeDirectoryCursor(cursor);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      status: 422,
      code: 'validation_failed',
      extra: { errors: [{ field: 'cursor' }] },
    });
  });
});
