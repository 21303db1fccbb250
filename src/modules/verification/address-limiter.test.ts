import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { MemoryAddressLimiter } from './address-limiter.js';

describe('MemoryAddressLimiter', () => {
  it('allows `limit` requests per key in the window, then refuses until they age out', async () => {
    const clock = new ManualClock();
    const limiter = new MemoryAddressLimiter({ limit: 3, windowMs: 60_000, clock });
    for (let i = 0; i < 3; i += 1) expect(await limiter.tryTake('a')).toEqual({ allowed: true });
    expect(await limiter.tryTake('a')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(await limiter.tryTake('b')).toEqual({ allowed: true });
    clock.advance(30_000);
    expect(await limiter.tryTake('a')).toEqual({ allowed: false, retryAfterSeconds: 30 });
    expect((await limiter.tryTake('a')).allowed).toBe(false);
    clock.advance(30_001);
    expect(await limiter.tryTake('a')).toEqual({ allowed: true });
  });

  it('refused requests do not extend the wait', async () => {
    const clock = new ManualClock();
    const limiter = new MemoryAddressLimiter({ limit: 1, windowMs: 1_000, clock });
    expect(await limiter.tryTake('a')).toEqual({ allowed: true });
    for (let i = 0; i < 10; i += 1) {
      clock.advance(50);
      expect((await limiter.tryTake('a')).allowed).toBe(false);
    }
    clock.advance(500);
    expect(await limiter.tryTake('a')).toEqual({ allowed: true });
  });

  it('keeps at most maxKeys keys, forgetting the oldest', async () => {
    const clock = new ManualClock();
    const limiter = new MemoryAddressLimiter({ limit: 1, windowMs: 60_000, clock, maxKeys: 2 });
    await limiter.tryTake('a');
    await limiter.tryTake('b');
    await limiter.tryTake('c');
    expect(await limiter.tryTake('a')).toEqual({ allowed: true });
    expect((await limiter.tryTake('c')).allowed).toBe(false);
  });
});
