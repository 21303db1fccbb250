import { describe, expect, it } from 'vitest';
import {
  USERNAME_PATTERN,
  normalizeEmail,
  normalizeUsername,
  parseIdentifier,
  usernameProblem,
} from './identifiers.js';

/** The rule as the service applies it: normalize, then check. */
function check(raw: string): string | undefined {
  return usernameProblem(normalizeUsername(raw));
}

const RULE = 'must be 3-32 letters, digits, ".", "_" or "-", starting with a letter or digit';

describe('username rule', () => {
  it.each(['alice', 'Alice_99', 'a.b-c_d', '007', 'x1y'])('accepts %s', (name) => {
    expect(check(name)).toBeUndefined();
  });

  it.each([
    ['Spanish', 'Ñandú'],
    ['German', 'Müller'],
    ['Cyrillic', 'Владимир'],
    ['Greek', 'Αθηνά'],
    ['Japanese', '山田太郎'],
    ['Arabic', 'محمد'],
    ['Thai', 'สมชาย'],
    ['Hindi (vowel signs are combining marks)', 'नमस्ते'],
    ['Arabic with vowel marks', 'مُحَمَّد'],
    ['Arabic-Indic digits', 'user٣٤٥'],
  ])('accepts letters of any script: %s', (_, name) => {
    expect(check(name)).toBeUndefined();
  });

  it('accepts exactly 3 and 32 characters, refuses 2 and 33', () => {
    expect(check('abc')).toBeUndefined();
    expect(check('a'.repeat(32))).toBeUndefined();
    expect(check('ab')).toBe(RULE);
    expect(check('a'.repeat(33))).toBe(RULE);
    expect(check('')).toBe(RULE);
  });

  it('refuses a control character inside the name', () => {
    expect(usernameProblem('ali\u0000ce')).toBe(RULE);
  });

  it('counts characters, not UTF-16 units', () => {
    // 32 astral letters (𝒜 is U+1D49C, two UTF-16 units each).
    expect(usernameProblem('𝒜'.repeat(32))).toBeUndefined();
  });

  it("refuses '@', so an identifier with '@' is always an email", () => {
    expect(check('alice@example')).toBe(RULE);
    expect(check('@alice')).toBe(RULE);
    // Fullwidth ＠ normalizes to @ and is refused too.
    expect(check('alice＠example')).toBe(RULE);
  });

  it.each(['.alice', '_alice', '-alice', '\u0301alice'])(
    'must start with a letter or digit: %j',
    (name) => {
      expect(check(name)).toBe(RULE);
    },
  );

  it.each(['al ice', 'alice!', 'al/ice', 'a+b+c', 'ali\nce', 'emoji🙂', "o'brien"])(
    'refuses other characters: %j',
    (name) => {
      expect(check(name)).toBe(RULE);
    },
  );

  it.each([
    ['zero-width space', 'alice\u200b'],
    ['zero-width joiner', 'al\u200dice'],
    ['variation selector', 'alice\ufe0f'],
    ['soft hyphen', 'ali\u00adce'],
    ['Hangul filler (a "letter" that renders as nothing)', 'alice\u3164'],
    ['only Hangul fillers', '\u3164\u3164\u3164'],
    ['halfwidth Hangul filler', 'alice\uffa0'],
  ])('refuses invisible characters that would impersonate another name: %s', (_, name) => {
    expect(check(name)).toBe(RULE);
  });

  it('is anchored: the pattern never matches a substring', () => {
    expect(USERNAME_PATTERN.test('ok_name!')).toBe(false);
    expect(USERNAME_PATTERN.test('!ok_name')).toBe(false);
  });
});

describe('normalizeUsername', () => {
  it('applies NFKC: fullwidth and compatibility characters become their plain forms', () => {
    expect(normalizeUsername('ａｌｉｃｅ')).toBe('alice');
    expect(normalizeUsername('ｱﾘｽ')).toBe('アリス');
    expect(normalizeUsername('ﬁsh')).toBe('fish');
    expect(normalizeUsername('x²')).toBe('x2');
  });

  it('composes decomposed accents, so both spellings are one name', () => {
    expect(normalizeUsername('Jose\u0301')).toBe('José');
    expect(normalizeUsername('Jose\u0301')).toBe(normalizeUsername('Jos\u00e9'));
  });

  it('trims surrounding whitespace, including fullwidth spaces', () => {
    expect(normalizeUsername('  alice\t')).toBe('alice');
    expect(normalizeUsername('\u3000alice\u3000')).toBe('alice');
  });

  it('keeps case (uniqueness is case-insensitive in the database)', () => {
    expect(normalizeUsername('Alice')).toBe('Alice');
  });
});

describe('normalizeEmail', () => {
  it('applies NFKC and trims, keeping case', () => {
    expect(normalizeEmail('  Alice@Example.com ')).toBe('Alice@Example.com');
    expect(normalizeEmail('ａｌｉｃｅ＠example.com')).toBe('alice@example.com');
  });
});

describe('parseIdentifier', () => {
  it("reads an identifier with '@' as an email", () => {
    expect(parseIdentifier('alice@example.com')).toEqual({
      kind: 'email',
      value: 'alice@example.com',
    });
  });

  it("reads an identifier without '@' as a username", () => {
    expect(parseIdentifier('alice')).toEqual({ kind: 'username', value: 'alice' });
  });

  it('trims and normalizes before deciding', () => {
    expect(parseIdentifier('  alice@example.com\n')).toEqual({
      kind: 'email',
      value: 'alice@example.com',
    });
    expect(parseIdentifier(' ａｌｉｃｅ ')).toEqual({ kind: 'username', value: 'alice' });
    // A fullwidth ＠ is an @ after NFKC.
    expect(parseIdentifier('alice＠example.com')).toEqual({
      kind: 'email',
      value: 'alice@example.com',
    });
  });

  it('treats any @, even a misplaced one, as an email (it will simply not be found)', () => {
    expect(parseIdentifier('@alice').kind).toBe('email');
    expect(parseIdentifier('alice@').kind).toBe('email');
  });

  it('returns an empty username for blank input (the caller refuses it)', () => {
    expect(parseIdentifier('   ')).toEqual({ kind: 'username', value: '' });
  });
});
