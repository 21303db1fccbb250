import { describe, expect, it } from 'vitest';
import { hashBackupCode, newBackupCodes, normalizeBackupCode } from './backup-codes.js';

describe('backup codes', () => {
  it('are distinct, xxxxx-xxxxx, from a 32-symbol alphabet (50 bits)', () => {
    const codes = newBackupCodes(10);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  });

  it('normalize case, spaces, dashes and look-alike letters', () => {
    expect(normalizeBackupCode(' AB3DE-FGH0K ')).toBe('ab3defgh0k');
    expect(normalizeBackupCode('ab3de fghOk')).toBe('ab3defgh0k');
    expect(normalizeBackupCode('abcde-fghil')).toBe('abcdefgh11');
    expect(normalizeBackupCode('123456')).toBeNull();
    expect(normalizeBackupCode('abcde-fghu1')).toBeNull();
  });

  it('hash per user', () => {
    expect(hashBackupCode('u1', 'ab3defgh0k')).not.toBe(hashBackupCode('u2', 'ab3defgh0k'));
    expect(hashBackupCode('u1', 'ab3defgh0k')).toBe(hashBackupCode('u1', 'ab3defgh0k'));
  });
});
