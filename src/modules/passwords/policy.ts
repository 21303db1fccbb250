import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MAX_LENGTH = 128;

/** The list is ordered by frequency; DESIGN §4 rejects the 10,000 most common. */
const COMMON_PASSWORD_COUNT = 10_000;

let commonPasswords: Set<string> | undefined;
function isCommon(password: string): boolean {
  commonPasswords ??= new Set(
    (dictionary['passwords-common'] as string[])
      .slice(0, COMMON_PASSWORD_COUNT)
      .map((p) => p.toLowerCase()),
  );
  return commonPasswords.has(password.toLowerCase());
}

export interface PasswordContext {
  email?: string | null;
  username?: string | null;
}

/**
 * NIST SP 800-63B style: length bounds, a blocklist and no personal data; no composition rules.
 * Returns why the password is refused, or undefined when it is acceptable.
 */
export function checkPassword(
  password: string,
  minLength: number,
  context: PasswordContext = {},
): string | undefined {
  // Count code points, not UTF-16 units: an emoji is one character to the user.
  const length = [...password].length;
  if (length < minLength) return `Password must be at least ${minLength} characters long.`;
  if (length > PASSWORD_MAX_LENGTH) {
    return `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  }
  if (isCommon(password)) return 'Password is too common; choose a less predictable one.';
  const lowered = password.toLowerCase();
  const personal = [context.username, context.email, context.email?.split('@')[0]]
    .filter((v): v is string => typeof v === 'string' && v.length >= 3)
    .map((v) => v.toLowerCase());
  if (personal.some((v) => lowered.includes(v))) {
    return 'Password must not contain your email address or username.';
  }
  return undefined;
}
