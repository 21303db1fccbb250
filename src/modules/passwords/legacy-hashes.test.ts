import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import { parseScrypt, recognizeHash } from './legacy-hashes.js';
import { PasswordHasher } from './hasher.js';

const PASSWORD = 'correct horse battery staple';
const hasher = new PasswordHasher({ memoryKib: 64, iterations: 1, parallelism: 1 });

/** Made with Python's hashlib.scrypt (passlib's PHC layout), not with the code under test. */
const SCRYPT_PHC =
  '$scrypt$ln=10,r=8,p=1$TmFDbC1zYWx0LTE2Ynl0ZQ$by9R1W30XoOme15C6qvnZsUn0xVYPqIzWEv5WDr2x7U';
/** Made with Werkzeug's generate_password_hash(PASSWORD, method='scrypt:16384:8:1'). */
const SCRYPT_WERKZEUG =
  'scrypt:16384:8:1$UKfMM1Ot3sXvsnm7$1e2dba56f399c38cd58d3d89d03aafb0f350dffe81a7f7135641009ce942dcd1b24f291558f3ac52578dff220c9510b06d43fd7760509c21315e50fce7fa5f63';
/** Werkzeug's default method (`scrypt` = 32768:8:1) after a round trip through its own parser. */
const SCRYPT_WERKZEUG_DEFAULT =
  'scrypt:32768:8:1$W00YoMVR886xfCNB$09d31937c64614ee68cf75538570db03ed5c338bb9724dcf16e8e44771093a88e9f3480ded2669049583cf5133a519c8498524e39259772465296c54295a4938';

/** `Algorithm` of @node-rs/argon2 (an ambient const enum). */
const ARGON2D = 0;
const ARGON2I = 1;

async function legacyHashes(): Promise<[string, string, string][]> {
  // $2a$ and $2y$ hash an ASCII password exactly as $2b$ does; only the prefix differs.
  return [
    ['bcrypt $2b$', 'bcrypt', await bcryptHash(PASSWORD, 4)],
    [
      'bcrypt $2a$',
      'bcrypt',
      await bcryptHash(PASSWORD, 4).then((h) => h.replace(/^\$2b\$/, '$$2a$$')),
    ],
    [
      'bcrypt $2y$',
      'bcrypt',
      await bcryptHash(PASSWORD, 4).then((h) => h.replace(/^\$2b\$/, '$$2y$$')),
    ],
    [
      'argon2i',
      'argon2i',
      await argon2Hash(PASSWORD, { algorithm: ARGON2I, memoryCost: 256, timeCost: 3 }),
    ],
    [
      'argon2d',
      'argon2d',
      await argon2Hash(PASSWORD, { algorithm: ARGON2D, memoryCost: 128, timeCost: 2 }),
    ],
    ['scrypt PHC', 'scrypt', SCRYPT_PHC],
    ['scrypt Werkzeug', 'scrypt', SCRYPT_WERKZEUG],
    ['scrypt Werkzeug default', 'scrypt', SCRYPT_WERKZEUG_DEFAULT],
  ];
}

describe('imported password hashes', async () => {
  const cases = await legacyHashes();

  it.each(cases)('%s: recognized as %s', (_, scheme, stored) => {
    expect(recognizeHash(stored)).toEqual({ scheme });
  });

  it.each(cases)('%s: the right password verifies', async (_, __, stored) => {
    expect(await hasher.verify(stored, PASSWORD)).toBe(true);
  });

  it.each(cases)('%s: a wrong password does not', async (_, __, stored) => {
    expect(await hasher.verify(stored, 'correct horse battery stapler')).toBe(false);
    expect(await hasher.verify(stored, '')).toBe(false);
  });

  it.each(cases)('%s: always needs a rehash to argon2id', (_, __, stored) => {
    expect(hasher.needsRehash(stored)).toBe(true);
  });

  it('recognizes Gatehouse argon2id hashes', async () => {
    expect(recognizeHash(await hasher.hash(PASSWORD))).toEqual({ scheme: 'argon2id' });
  });

  it('reads Werkzeug salts as text and PHC salts as base64', () => {
    expect(parseScrypt(SCRYPT_WERKZEUG)).toMatchObject({ n: 16384, r: 8, p: 1 });
    expect(parseScrypt(SCRYPT_WERKZEUG)?.salt.toString()).toBe('UKfMM1Ot3sXvsnm7');
    expect(parseScrypt(SCRYPT_PHC)?.salt.toString()).toBe('NaCl-salt-16byte');
    expect(parseScrypt('scrypt$abc$' + 'ab'.repeat(64))).toMatchObject({ n: 32768, r: 8, p: 1 });
  });

  it.each([
    ['empty', ''],
    ['plain text', 'hunter2'],
    ['md5 crypt', '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/'],
    [
      'sha512 crypt',
      '$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3InaxBeoomnAihCKRVQP22JZ6EY47Wc6BkroIuUUBOov1i.S5KPgErtP/EN5mcO.ChWQW21',
    ],
    ['bcrypt $2x$', '$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['bcrypt cost 3', '$2b$03$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['bcrypt cost 31', '$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['bcrypt truncated', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW'],
    ['argon2 without hash', '$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ'],
    [
      'argon2 4 GiB',
      '$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A',
    ],
    [
      'argon2 t=0',
      '$argon2i$v=19$m=64,t=0,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A',
    ],
    ['scrypt N not a power of 2', 'scrypt:30000:8:1$UKfMM1Ot3sXvsnm7$' + 'ab'.repeat(64)],
    [
      'scrypt N = 2^30',
      '$scrypt$ln=30,r=8,p=1$TmFDbC1zYWx0$by9R1W30XoOme15C6qvnZsUn0xVYPqIzWEv5WDr2x7U',
    ],
    ['scrypt 1 GiB', 'scrypt:1048576:8:1$UKfMM1Ot3sXvsnm7$' + 'ab'.repeat(64)],
    ['scrypt r=0', 'scrypt:16384:0:1$UKfMM1Ot3sXvsnm7$' + 'ab'.repeat(64)],
    ['scrypt p=999', 'scrypt:16384:8:999$UKfMM1Ot3sXvsnm7$' + 'ab'.repeat(64)],
    ['scrypt odd hex', 'scrypt:16384:8:1$UKfMM1Ot3sXvsnm7$' + 'abc'],
    ['scrypt short output', 'scrypt:16384:8:1$UKfMM1Ot3sXvsnm7$abcd'],
    ['scrypt no salt', '$scrypt$ln=10,r=8,p=1$$by9R1W30XoOme15C6qvnZsUn0xVYPqIzWEv5WDr2x7U'],
    ['pbkdf2 (Werkzeug)', 'pbkdf2:sha256:600000$abc$' + 'ab'.repeat(32)],
    ['very long', '$2b$10$' + 'a'.repeat(5000)],
  ])('%s: not recognized, and verify() says false instead of throwing', async (_, stored) => {
    expect(recognizeHash(stored)).toBeUndefined();
    await expect(hasher.verify(stored, PASSWORD)).resolves.toBe(false);
  });

  it('a recognized but corrupt hash still verifies to false, not an exception', async () => {
    // Well-formed bcrypt text whose salt and digest are not a real hash of anything.
    const corrupt = '$2b$04$' + '.'.repeat(53);
    expect(recognizeHash(corrupt)).toEqual({ scheme: 'bcrypt' });
    await expect(hasher.verify(corrupt, PASSWORD)).resolves.toBe(false);
  });
});
