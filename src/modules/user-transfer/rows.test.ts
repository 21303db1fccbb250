import { describe, expect, it } from 'vitest';
import { checkRow, fromCsvRecord } from './rows.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');
const BCRYPT = '$2b$04$GYXYPWjWmTnEQ68HgoNrR.JcZ9C7sncAvl7aoOKOjXUXyvhBYkGHS';

describe('import row validation', () => {
  it('normalizes identifiers like registration and fills in defaults', () => {
    const checked = checkRow({ email: '  ａｌｉｃｅ@example.com ', username: ' Alice_1 ' }, NOW);
    expect(checked).toEqual({
      ok: true,
      user: {
        id: undefined,
        email: 'alice@example.com',
        username: 'Alice_1',
        fullName: null,
        passwordHash: null,
        emailVerifiedAt: null,
        createdAt: NOW,
        metadata: {},
        roles: [],
      },
    });
  });

  it('keeps id, times, metadata and roles (deduplicated)', () => {
    const checked = checkRow(
      {
        id: '0B7E4F4C-5D2A-4B8E-9F3A-2C1D0E9F8A7B',
        email: 'bob@example.com',
        full_name: '  Bob  ',
        password_hash: BCRYPT,
        email_verified_at: '2020-05-06T07:08:09.123Z',
        created_at: '2019-01-01T00:00:00Z',
        metadata: { plan: 'pro' },
        roles: ['editor', 'editor', ' user '],
      },
      NOW,
    );
    expect(checked).toMatchObject({
      ok: true,
      user: {
        id: '0b7e4f4c-5d2a-4b8e-9f3a-2c1d0e9f8a7b',
        fullName: 'Bob',
        passwordHash: BCRYPT,
        emailVerifiedAt: new Date('2020-05-06T07:08:09.123Z'),
        createdAt: new Date('2019-01-01T00:00:00Z'),
        metadata: { plan: 'pro' },
        roles: ['editor', 'user'],
      },
    });
  });

  it('email_verified: true counts from created_at; false wins over a time', () => {
    const created = '2019-01-01T00:00:00.000Z';
    expect(
      checkRow({ email: 'a@example.com', email_verified: true, created_at: created }, NOW),
    ).toMatchObject({ user: { emailVerifiedAt: new Date(created) } });
    expect(
      checkRow({ email: 'a@example.com', email_verified: false, email_verified_at: created }, NOW),
    ).toMatchObject({ user: { emailVerifiedAt: null } });
  });

  it.each([
    [{}, 'missing_identifier'],
    [{ email: '   ', username: '' }, 'missing_identifier'],
    [{ email: 'no-at-sign' }, 'invalid_email'],
    [{ email: 'two@@example.com' }, 'invalid_email'],
    [{ email: `${'a'.repeat(250)}@example.com` }, 'invalid_email'],
    [{ username: 'ab' }, 'invalid_username'],
    [{ username: 'has space' }, 'invalid_username'],
    [{ username: 'zero\u200bwidth' }, 'invalid_username'],
    [{ email: 42 }, 'invalid_field'],
    [{ email: 'a@example.com', id: 'not-a-uuid' }, 'invalid_field'],
    [{ email: 'a@example.com', created_at: 'yesterday' }, 'invalid_field'],
    [{ email: 'a@example.com', created_at: '2024' }, 'invalid_field'],
    [{ email: 'a@example.com', email_verified: 'yes' }, 'invalid_field'],
    [{ username: 'carol', email_verified: true }, 'invalid_field'],
    [{ email: 'a@example.com', metadata: [1, 2] }, 'invalid_field'],
    [{ email: 'a@example.com', metadata: 'text' }, 'invalid_field'],
    [{ email: 'a@example.com', metadata: { big: 'x'.repeat(20_000) } }, 'invalid_field'],
    [{ email: 'a@example.com', roles: 'admin' }, 'invalid_field'],
    [{ email: 'a@example.com', roles: ['Admin!'] }, 'unknown_role'],
    [{ email: 'a@example.com', full_name: 'x'.repeat(201) }, 'invalid_field'],
    [{ email: 'a@example.com', password_hash: 'plaintext' }, 'unsupported_hash'],
    [
      { email: 'a@example.com', password_hash: '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/' },
      'unsupported_hash',
    ],
    ['a string', 'invalid_row'],
    [[{ email: 'a@example.com' }], 'invalid_row'],
    [null, 'invalid_row'],
  ])('rejects %j as %s', (row, reason) => {
    expect(checkRow(row, NOW)).toMatchObject({ ok: false, reason });
  });

  it('never echoes a hash in a rejection message', () => {
    const checked = checkRow({ email: 'a@example.com', password_hash: '$1$secret$hash' }, NOW);
    expect(JSON.stringify(checked)).not.toContain('secret');
  });

  it('reads CSV cells: empty is absent, flags as words, metadata as JSON, roles split on ;', () => {
    expect(
      fromCsvRecord({
        email: 'a@example.com',
        username: '',
        email_verified: 'Yes',
        metadata: '{"a":1}',
        roles: 'editor;viewer',
      }),
    ).toEqual({
      email: 'a@example.com',
      email_verified: true,
      metadata: { a: 1 },
      roles: ['editor', 'viewer'],
    });
    expect(fromCsvRecord({ email_verified: '0', metadata: '{oops' })).toEqual({
      email_verified: false,
      metadata: '{oops',
    });
  });
});
