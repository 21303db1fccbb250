import type { OneTimeTokenPurpose } from './schema.js';

/** Wrong codes tolerated; the next wrong one voids the token (link included). */
export const MAX_WRONG_CODES = 5;

export interface TokenFacts {
  purpose: OneTimeTokenPurpose;
  expiresAt: Date;
  consumedAt: Date | null;
  attempts: number;
}

/**
 * The life of a one-time token (see state.mermaid): issued `live`; it ends `consumed` when used,
 * `expired` when its time runs out, `void` after a sixth wrong code or when a newer token of
 * the same purpose replaces it (replacing marks it consumed). Only a `live` token can be used.
 */
export type TokenState =
  | { state: 'live'; wrongCodesLeft: number }
  | { state: 'consumed' }
  | { state: 'expired' }
  | { state: 'void' };

export function tokenState(token: TokenFacts, now: Date): TokenState {
  if (token.consumedAt !== null) return { state: 'consumed' };
  if (token.attempts > MAX_WRONG_CODES) return { state: 'void' };
  if (token.expiresAt.getTime() <= now.getTime()) return { state: 'expired' };
  return { state: 'live', wrongCodesLeft: MAX_WRONG_CODES - token.attempts };
}

export type TokenEvent = { type: 'use' } | { type: 'wrong_code' };

/** What an event does to a token; the repository applies the same rule atomically. */
export function transition(token: TokenFacts, event: TokenEvent, now: Date): TokenFacts {
  if (tokenState(token, now).state !== 'live') return token;
  if (event.type === 'use') return { ...token, consumedAt: now };
  return { ...token, attempts: token.attempts + 1 };
}
