import { describe, expect, it } from 'vitest';
import { matchTotp, newTotpSecret, otpauthUrl, timeStep, totpCode } from './totp.js';

describe('totp', () => {
  const secret = newTotpSecret();
  const at = new Date('2026-01-01T12:00:10Z');

  it('matches the RFC 6238 SHA-1 test vector', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits).
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totpCode(rfcSecret, new Date(59_000))).toBe('287082');
  });

  it('accepts the current, previous and next step and nothing further', () => {
    const step = timeStep(at);
    expect(matchTotp(secret, totpCode(secret, at), at)).toBe(step);
    expect(matchTotp(secret, totpCode(secret, new Date(at.getTime() - 30_000)), at)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, new Date(at.getTime() + 30_000)), at)).toBe(step + 1);
    expect(matchTotp(secret, totpCode(secret, new Date(at.getTime() - 90_000)), at)).toBeNull();
  });

  it('refuses malformed codes', () => {
    expect(matchTotp(secret, 'abcdef', at)).toBeNull();
    expect(matchTotp(secret, '12345', at)).toBeNull();
  });

  it('builds an otpauth URL with issuer and label', () => {
    const url = otpauthUrl(secret, 'ann@example.com', 'Acme');
    expect(url).toMatch(/^otpauth:\/\/totp\/Acme:ann%40example\.com\?/);
    expect(url).toContain(`secret=${secret}`);
    expect(url).toContain('issuer=Acme');
  });
});
