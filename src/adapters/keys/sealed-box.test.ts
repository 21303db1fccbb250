import { describe, expect, it } from 'vitest';
import { SealedBox } from './sealed-box.js';

const box = new SealedBox('a-long-random-key-encryption-key-0123456789');
const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n';

/** Replaces one base64url part of a sealed value (1 iv, 2 tag, 3 ciphertext). */
function withPart(sealed: string, index: number, change: (bytes: Buffer) => Buffer): string {
  const parts = sealed.split('.');
  parts[index] = change(Buffer.from(parts[index]!, 'base64url')).toString('base64url');
  return parts.join('.');
}

function flipFirstBit(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[0] = copy[0]! ^ 0x01;
  return copy;
}

describe('SealedBox', () => {
  it('opens what it sealed', () => {
    const sealed = box.seal(PEM, 'signing-key:k1');
    expect(box.open(sealed, 'signing-key:k1')).toBe(PEM);
  });

  it('round-trips empty and non-ASCII plaintexts', () => {
    expect(box.open(box.seal('', 'ctx'), 'ctx')).toBe('');
    expect(box.open(box.seal('sécret 🔑 密钥', 'ctx'), 'ctx')).toBe('sécret 🔑 密钥');
  });

  it('produces v1.<iv>.<tag>.<ciphertext> in base64url without the plaintext', () => {
    const sealed = box.seal(PEM, 'ctx');
    const parts = sealed.split('.');
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe('v1');
    for (const part of parts.slice(1)) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(parts[1]!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[2]!, 'base64url')).toHaveLength(16);
    expect(sealed).not.toContain('PRIVATE KEY');
  });

  it('gives a different ciphertext every time (random IV)', () => {
    const a = box.seal(PEM, 'ctx');
    const b = box.seal(PEM, 'ctx');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(box.open(a, 'ctx')).toBe(PEM);
    expect(box.open(b, 'ctx')).toBe(PEM);
  });

  it('refuses to open under another context (a value copied to another row)', () => {
    const sealed = box.seal(PEM, 'signing-key:k1');
    expect(() => box.open(sealed, 'signing-key:k2')).toThrow();
    expect(() => box.open(sealed, '')).toThrow();
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const sealed = box.seal(PEM, 'ctx');
    expect(() => box.open(withPart(sealed, 3, flipFirstBit), 'ctx')).toThrow();
    expect(() => box.open(withPart(sealed, 2, flipFirstBit), 'ctx')).toThrow();
    expect(() => box.open(withPart(sealed, 1, flipFirstBit), 'ctx')).toThrow();
  });

  it('refuses a truncated ciphertext', () => {
    const sealed = box.seal(PEM, 'ctx');
    expect(() =>
      box.open(
        withPart(sealed, 3, (b) => b.subarray(0, b.length - 1)),
        'ctx',
      ),
    ).toThrow();
  });

  it('refuses a truncated authentication tag (GCM would otherwise accept 4-byte tags)', () => {
    const sealed = box.seal(PEM, 'ctx');
    for (const length of [4, 8, 12, 15]) {
      expect(() =>
        box.open(
          withPart(sealed, 2, (b) => b.subarray(0, length)),
          'ctx',
        ),
      ).toThrow();
    }
  });

  it('refuses to open with another key', () => {
    const sealed = box.seal(PEM, 'ctx');
    const other = new SealedBox('another-long-random-key-encryption-key-987');
    expect(() => other.open(sealed, 'ctx')).toThrow();
  });

  it('derives the same key from the same secret, as string or bytes', () => {
    const secret = 'a-long-random-key-encryption-key-0123456789';
    const sealed = box.seal(PEM, 'ctx');
    expect(new SealedBox(secret).open(sealed, 'ctx')).toBe(PEM);
    expect(new SealedBox(Buffer.from(secret)).open(sealed, 'ctx')).toBe(PEM);
  });

  it.each([
    ['another version', (s: string) => s.replace(/^v1\./, 'v2.')],
    ['no version', (s: string) => s.slice(3)],
    ['missing ciphertext', (s: string) => s.split('.').slice(0, 3).join('.')],
    ['missing tag', (s: string) => s.split('.').slice(0, 2).join('.')],
    [
      'empty IV',
      (s: string) =>
        s
          .split('.')
          .map((p, i) => (i === 1 ? '' : p))
          .join('.'),
    ],
    ['plain text', () => '-----BEGIN PRIVATE KEY-----'],
    ['empty string', () => ''],
  ])('refuses an unknown format (%s) with a clear error', (_, mangle) => {
    const sealed = box.seal(PEM, 'ctx');
    expect(() => box.open(mangle(sealed), 'ctx')).toThrow('sealed value has an unknown format');
  });
});
