import { dictionary } from '@zxcvbn-ts/language-common';
import { describe, expect, it } from 'vitest';
import { PASSWORD_MAX_LENGTH, PasswordPolicy, type PasswordContext } from './policy.js';

/** The policy's verdict with a minimum length of `minLength`. */
function checkPassword(password: string, minLength: number, context?: PasswordContext) {
  return new PasswordPolicy({ minLength }).problem(password, context);
}

const GOOD = 'correct horse battery staple';
const commonList = dictionary['passwords-common'] as string[];

describe('checkPassword length', () => {
  it('accepts a long passphrase', () => {
    expect(checkPassword(GOOD, 8)).toBeUndefined();
  });

  it('refuses a password shorter than the minimum, naming the minimum', () => {
    expect(checkPassword('Xq7!vR2', 8)).toBe('Password must be at least 8 characters long.');
    expect(checkPassword('', 8)).toBe('Password must be at least 8 characters long.');
    expect(checkPassword('Xq7!vR2zW', 12)).toBe('Password must be at least 12 characters long.');
  });

  it('accepts exactly the minimum length', () => {
    expect(checkPassword('Xq7!vR2z', 8)).toBeUndefined();
  });

  it('counts code points: an emoji is one character', () => {
    // 7 code points but 8 UTF-16 units: still too short.
    const sevenWithEmoji = 'Xq7!vR🔑';
    expect(sevenWithEmoji.length).toBe(8);
    expect(checkPassword(sevenWithEmoji, 8)).toBe('Password must be at least 8 characters long.');
    // 8 code points.
    expect(checkPassword('Xq7!vR2🔑', 8)).toBeUndefined();
    // 8 emoji = 16 UTF-16 units, 8 characters.
    expect(checkPassword('🔑🐙🌵🚲🎻🧭🪁🦉', 8)).toBeUndefined();
  });

  it(`accepts ${PASSWORD_MAX_LENGTH} characters and refuses ${PASSWORD_MAX_LENGTH + 1}`, () => {
    expect(PASSWORD_MAX_LENGTH).toBe(128);
    const max = 'Xq7!vR2z'.repeat(16);
    expect([...max]).toHaveLength(128);
    expect(checkPassword(max, 8)).toBeUndefined();
    expect(checkPassword(`${max}a`, 8)).toBe('Password must be at most 128 characters long.');
  });

  it('counts the maximum in code points too', () => {
    // 128 emoji are 256 UTF-16 units but 128 characters.
    expect(checkPassword('🔑'.repeat(128), 8)).toBeUndefined();
    expect(checkPassword('🔑'.repeat(129), 8)).toBe(
      'Password must be at most 128 characters long.',
    );
  });
});

describe('checkPassword common passwords', () => {
  const tooCommon = 'Password is too common; choose a less predictable one.';

  it.each(['password', '12345678', 'iloveyou', 'sunshine', 'trustno1', 'qwertyuiop'])(
    'refuses %s',
    (password) => {
      expect(checkPassword(password, 8)).toBe(tooCommon);
    },
  );

  it('compares case-insensitively', () => {
    expect(checkPassword('PASSWORD', 8)).toBe(tooCommon);
    expect(checkPassword('SunShine', 8)).toBe(tooCommon);
  });

  it('refuses the 10,000th most common password', () => {
    const lastEligible = commonList
      .slice(0, 10_000)
      .reverse()
      .find((p) => p.length >= 8);
    expect(lastEligible).toBeDefined();
    expect(checkPassword(lastEligible!, 8)).toBe(tooCommon);
  });

  it('does not refuse passwords ranked below the 10,000 most common', () => {
    const top = new Set(commonList.slice(0, 10_000));
    const rare = commonList.slice(10_000).find((p) => p.length >= 8 && !top.has(p));
    expect(rare).toBeDefined();
    expect(checkPassword(rare!, 8)).toBeUndefined();
  });

  it('reports length before commonness', () => {
    expect(checkPassword('123456', 8)).toBe('Password must be at least 8 characters long.');
  });
});

describe('checkPassword personal data', () => {
  const personal = 'Password must not contain your email address or username.';

  it('refuses a password containing the username, case-insensitively', () => {
    expect(checkPassword('my-Alice1987-pass', 8, { username: 'alice1987' })).toBe(personal);
    expect(checkPassword('ALICE1987!!', 8, { username: 'Alice1987' })).toBe(personal);
  });

  it('refuses a password containing the whole email', () => {
    expect(
      checkPassword('x-Alice.Smith@Example.com-x', 8, { email: 'alice.smith@example.com' }),
    ).toBe(personal);
  });

  it("refuses a password containing the email's local part", () => {
    expect(checkPassword('ALICE.SMITH-rocks', 8, { email: 'alice.smith@example.com' })).toBe(
      personal,
    );
  });

  it('ignores personal values shorter than 3 characters', () => {
    // Local part "al" and username "bo" are too short to judge by.
    expect(checkPassword('always bored at noon', 8, { email: 'al@ex.io', username: 'bo' })).toBe(
      undefined,
    );
    // ...but the whole email (8 characters) still counts.
    expect(checkPassword('xx al@ex.io xx', 8, { email: 'al@ex.io', username: 'bo' })).toBe(
      personal,
    );
  });

  it('treats a username of exactly 3 characters as personal', () => {
    expect(checkPassword('zed is my name', 8, { username: 'Zed' })).toBe(personal);
  });

  it('accepts a password unrelated to the account', () => {
    expect(
      checkPassword(GOOD, 8, { email: 'alice.smith@example.com', username: 'alice1987' }),
    ).toBeUndefined();
  });

  it('accepts null and missing personal values', () => {
    expect(checkPassword(GOOD, 8, { email: null, username: null })).toBeUndefined();
    expect(checkPassword(GOOD, 8, {})).toBeUndefined();
  });
});
