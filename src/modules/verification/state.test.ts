import { describe, expect, it } from 'vitest';
import { MAX_WRONG_CODES, tokenState, transition, type TokenFacts } from './state.js';

const now = new Date('2026-01-01T12:00:00Z');
const live: TokenFacts = {
  purpose: 'verify_email',
  expiresAt: new Date(now.getTime() + 60_000),
  consumedAt: null,
  attempts: 0,
};

describe('one-time token state', () => {
  it('is live until used, with five wrong codes to spare', () => {
    expect(tokenState(live, now)).toEqual({ state: 'live', wrongCodesLeft: MAX_WRONG_CODES });
    expect(MAX_WRONG_CODES).toBe(5);
  });

  it('is consumed once used, and stays so', () => {
    const used = transition(live, { type: 'use' }, now);
    expect(used.consumedAt).toEqual(now);
    expect(tokenState(used, now)).toEqual({ state: 'consumed' });
    expect(transition(used, { type: 'use' }, now)).toBe(used);
  });

  it('expires at expires_at exactly', () => {
    expect(tokenState(live, live.expiresAt)).toEqual({ state: 'expired' });
    expect(tokenState(live, new Date(live.expiresAt.getTime() - 1)).state).toBe('live');
  });

  it('survives five wrong codes and is void after the sixth', () => {
    let token = live;
    for (let i = 1; i <= 5; i += 1) {
      token = transition(token, { type: 'wrong_code' }, now);
      expect(tokenState(token, now)).toEqual({ state: 'live', wrongCodesLeft: 5 - i });
    }
    token = transition(token, { type: 'wrong_code' }, now);
    expect(tokenState(token, now)).toEqual({ state: 'void' });
    // Void is final: a right code (use) changes nothing.
    expect(transition(token, { type: 'use' }, now)).toBe(token);
  });

  it('an expired token ignores events', () => {
    const later = new Date(live.expiresAt.getTime() + 1);
    expect(transition(live, { type: 'use' }, later)).toBe(live);
    expect(transition(live, { type: 'wrong_code' }, later)).toBe(live);
  });
});
