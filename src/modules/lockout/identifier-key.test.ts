import { describe, expect, it } from 'vitest';
import { identifierKey } from './service.js';

describe('lockout identifier key', () => {
  it('is the same for every spelling of one identifier', () => {
    const key = identifierKey('alice@example.com');
    for (const variant of [
      'Alice@Example.COM',
      '  alice@example.com\n',
      'ａｌｉｃｅ＠example.com',
    ]) {
      expect(identifierKey(variant)).toBe(key);
    }
  });

  it('differs between identifiers and never contains what was typed', () => {
    expect(identifierKey('alice')).not.toBe(identifierKey('alice@example.com'));
    expect(identifierKey('my-Secret-Password')).not.toContain('Secret');
    expect(identifierKey('alice')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
