import { dictionary } from '@zxcvbn-ts/language-common';
import { errors } from '../../errors.js';

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
 * The one password policy (DESIGN §4), NIST SP 800-63B style: length bounds, a blocklist and no
 * personal data; no composition rules. Registration, password change and reset, admin-created
 * accounts and the first admin all ask this object.
 */
export class PasswordPolicy {
  constructor(private readonly settings: { minLength: number }) {}

  /** Why the password is refused, or undefined when it is acceptable. */
  problem(password: string, context: PasswordContext = {}): string | undefined {
    const { minLength } = this.settings;
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

  /** 422 `weak_password` with the reason when the password is refused. */
  check(password: string, context: PasswordContext = {}): void {
    const weakness = this.problem(password, context);
    if (weakness) throw errors.weakPassword(weakness);
  }
}
