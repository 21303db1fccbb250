import { createHash } from 'node:crypto';
import type { Executor } from '../../adapters/db/index.js';
import type { Clock } from '../../clock.js';
import { parseIdentifier } from '../account/identifiers.js';
import type { LoginFailureRepository } from './repository.js';

export interface LockoutSettings {
  maxFailures: number;
  lockoutSeconds: number;
}

export interface LockState {
  /** Seconds until the lock ends; null when not locked. */
  retryAfterSeconds: number | null;
  /** Failures are on record (a success should clear them). */
  hasFailures: boolean;
}

export interface FailureOutcome {
  /** This failure is the one that locked the identifier. */
  lockedNow: boolean;
  lockedUntil: Date | null;
  failures: number;
}

/**
 * Failed-login lockout per normalized identifier (email or username as typed, NFKC, trimmed,
 * case-folded), stored in the database so every replica sees it. Wrong passwords and wrong
 * second-factor codes both count (`recordFailure`); a successful login clears the count.
 */
export class LockoutService {
  constructor(
    private readonly deps: {
      failures: LoginFailureRepository;
      clock: Clock;
      settings: LockoutSettings;
    },
  ) {}

  async state(identifier: string): Promise<LockState> {
    const now = this.deps.clock.now();
    const row = await this.deps.failures.state(identifierKey(identifier));
    if (!row) return { retryAfterSeconds: null, hasFailures: false };
    const locked = row.lockedUntil !== null && row.lockedUntil > now;
    return {
      retryAfterSeconds: locked ? secondsUntil(row.lockedUntil!, now) : null,
      hasFailures: true,
    };
  }

  /** Counts a failure in the caller's transaction, which also writes its audit row. */
  async recordFailure(tx: Executor, identifier: string): Promise<FailureOutcome> {
    const { failures, clock, settings } = this.deps;
    const row = await failures.recordFailure(
      tx,
      identifierKey(identifier),
      clock.now(),
      settings.maxFailures,
      settings.lockoutSeconds,
    );
    if (!row) return { lockedNow: false, lockedUntil: null, failures: settings.maxFailures };
    return {
      lockedNow: row.lockedUntil !== null,
      lockedUntil: row.lockedUntil,
      failures: row.failures,
    };
  }

  clear(identifier: string): Promise<void> {
    return this.deps.failures.clear(identifierKey(identifier));
  }

  /** `clear` within the caller's transaction (an administrator's unlock). */
  clearWithin(tx: Executor, identifier: string): Promise<void> {
    return this.deps.failures.clearWithin(tx, identifierKey(identifier));
  }
}

/** SHA-256 of the normalized identifier: the table never holds what was typed. */
export function identifierKey(identifier: string): string {
  const normalized = parseIdentifier(identifier).value.toLowerCase();
  return createHash('sha256').update(normalized).digest('base64url');
}

function secondsUntil(date: Date, now: Date): number {
  return Math.max(1, Math.ceil((date.getTime() - now.getTime()) / 1000));
}
