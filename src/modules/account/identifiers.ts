import addFormatsPlugin from 'ajv-formats';

/**
 * Usernames: NFKC-normalized letters and digits of any script plus `.`, `_`, `-`, starting with
 * a letter or digit, 3–32 characters. No `@`, so a login identifier is an email exactly when it
 * contains one. Combining marks may follow the first character (Devanagari and Arabic need
 * them for vowels); default-ignorable code points (Hangul fillers, zero-width characters) are
 * refused: they render as nothing, so `alice` plus one of them would pass for `alice`.
 */
export const USERNAME_PATTERN =
  /^(?!.*\p{Default_Ignorable_Code_Point})[\p{L}\p{N}][\p{L}\p{M}\p{N}._-]{2,31}$/u;

export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').trim();
}

export function usernameProblem(username: string): string | undefined {
  if (USERNAME_PATTERN.test(username)) return undefined;
  return 'must be 3-32 letters, digits, ".", "_" or "-", starting with a letter or digit';
}

export function normalizeEmail(raw: string): string {
  return raw.normalize('NFKC').trim();
}

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const formats = addFormatsPlugin as unknown as { get(name: 'email', mode: 'full'): RegExp };
/** The pattern of the API schemas' `format: 'email'`: every way in accepts the same addresses. */
const EMAIL_FORMAT = formats.get('email', 'full');
export const EMAIL_MAX_LENGTH = 254;

export function emailProblem(email: string): string | undefined {
  if (email.length <= EMAIL_MAX_LENGTH && EMAIL_FORMAT.test(email)) return undefined;
  return 'must be a valid email address';
}

export type Identifier = { kind: 'email'; value: string } | { kind: 'username'; value: string };

/** Login accepts an email or a username in one field. */
export function parseIdentifier(raw: string): Identifier {
  const value = raw.normalize('NFKC').trim();
  return value.includes('@') ? { kind: 'email', value } : { kind: 'username', value };
}
