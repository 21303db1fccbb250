import { describe, expect, it } from 'vitest';
import { PRODUCTION_ARGON2, PasswordHasher, type Argon2Params } from './hasher.js';

/** Cheap parameters: tests must not spend 19 MiB and two passes per hash. */
const CHEAP: Argon2Params = { memoryKib: 64, iterations: 1, parallelism: 1 };
const hasher = new PasswordHasher(CHEAP);

describe('PasswordHasher', () => {
  it('defaults to the OWASP argon2id parameters in production', () => {
    expect(PRODUCTION_ARGON2).toEqual({ memoryKib: 19_456, iterations: 2, parallelism: 1 });
  });

  it('hashes with argon2id and its parameters, never the password itself', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(stored).not.toContain('correct horse');
  });

  it('salts every hash', async () => {
    const a = await hasher.hash('same password');
    const b = await hasher.hash('same password');
    expect(a).not.toBe(b);
  });

  it('verifies the right password', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(stored, 'correct horse battery staple')).toBe(true);
  });

  it('refuses a wrong password, including case and whitespace differences', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(stored, 'correct horse battery stapl')).toBe(false);
    expect(await hasher.verify(stored, 'Correct horse battery staple')).toBe(false);
    expect(await hasher.verify(stored, 'correct horse battery staple ')).toBe(false);
    expect(await hasher.verify(stored, '')).toBe(false);
  });

  it('round-trips non-ASCII passwords', async () => {
    const stored = await hasher.hash('pässwörd 🔑 密码');
    expect(await hasher.verify(stored, 'pässwörd 🔑 密码')).toBe(true);
    expect(await hasher.verify(stored, 'passwörd 🔑 密码')).toBe(false);
  });

  it('verifies hashes made with other parameters (they are read from the hash)', async () => {
    const old = await new PasswordHasher({ memoryKib: 128, iterations: 2, parallelism: 1 }).hash(
      'hunter2 is my password',
    );
    expect(await hasher.verify(old, 'hunter2 is my password')).toBe(true);
  });

  it.each([
    ['garbage', 'not a hash'],
    ['empty', ''],
    ['truncated', '$argon2id$v=19$m=64,t=1,p=1$'],
    ['bad base64', '$argon2id$v=19$m=64,t=1,p=1$!!!!$????'],
    ['unsupported scheme', '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/'],
  ])('returns false for a malformed stored hash (%s) instead of throwing', async (_, stored) => {
    await expect(hasher.verify(stored, 'anything')).resolves.toBe(false);
  });

  it('needs no rehash for a hash with the current parameters', async () => {
    expect(hasher.needsRehash(await hasher.hash('x'))).toBe(false);
  });

  it('needs a rehash when any parameter differs', async () => {
    for (const params of [
      { ...CHEAP, memoryKib: 128 },
      { ...CHEAP, iterations: 2 },
      { ...CHEAP, parallelism: 2 },
    ]) {
      expect(hasher.needsRehash(await new PasswordHasher(params).hash('x'))).toBe(true);
    }
  });

  it.each([
    [
      'argon2i',
      '$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A',
    ],
    [
      'argon2d',
      '$argon2d$v=19$m=64,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A',
    ],
    [
      'argon2id v=16',
      '$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A',
    ],
    ['bcrypt', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['garbage', 'not a hash'],
    ['empty', ''],
  ])('needs a rehash for %s', (_, stored) => {
    expect(hasher.needsRehash(stored)).toBe(true);
  });

  it('burn() resolves without a stored hash, repeatedly', async () => {
    await expect(hasher.burn('whatever the caller typed')).resolves.toBeUndefined();
    await expect(hasher.burn('')).resolves.toBeUndefined();
  });
});
