import { createHash, randomInt } from 'node:crypto';

/** Crockford's base32 alphabet: no i, l, o or u to misread. 32 symbols = 5 bits each. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** Ten symbols: 50 bits of entropy per code. */
const SYMBOLS = 10;

/** `count` fresh codes, `xxxxx-xxxxx`, each drawn from a CSPRNG. */
export function newBackupCodes(count: number): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    let raw = '';
    for (let i = 0; i < SYMBOLS; i += 1) raw += ALPHABET[randomInt(ALPHABET.length)];
    codes.add(`${raw.slice(0, 5)}-${raw.slice(5)}`);
  }
  return [...codes];
}

/**
 * The canonical form of what a person typed: case, spaces and dashes ignored, and the letters
 * Crockford's base32 reads as digits (o → 0, i and l → 1) folded. Null when it cannot be a code.
 */
export function normalizeBackupCode(input: string): string | null {
  const folded = input
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
  if (folded.length !== SYMBOLS) return null;
  for (const c of folded) if (!ALPHABET.includes(c)) return null;
  return folded;
}

/** What is stored: base64url(SHA-256(user id ":" code)); the user id salts the short code. */
export function hashBackupCode(userId: string, normalized: string): string {
  return createHash('sha256').update(`${userId}:${normalized}`).digest('base64url');
}

/** Whether `code` looks like a backup code rather than a TOTP code. */
export function looksLikeBackupCode(code: string): boolean {
  return normalizeBackupCode(code) !== null;
}
