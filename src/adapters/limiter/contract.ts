import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimiterStore } from './types.js';

/** The behaviour every LimiterStore must have; run on each implementation. */
export function limiterContract(name: string, open: () => Promise<LimiterStore>): void {
  describe(`limiter contract: ${name}`, () => {
    let store: LimiterStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('allows `points` requests per window, then refuses with the time to wait', async () => {
      const limit = store.limit({ name: `c-${randomUUID()}`, points: 3, durationSeconds: 60 });
      const decisions = [];
      for (let i = 0; i < 4; i += 1) decisions.push(await limit.consume('k'));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
      for (const d of decisions) {
        expect(d.limit).toBe(3);
        expect(d.resetSeconds).toBeGreaterThanOrEqual(1);
        expect(d.resetSeconds).toBeLessThanOrEqual(60);
      }
    });

    it('counts each key separately', async () => {
      const limit = store.limit({ name: `c-${randomUUID()}`, points: 1, durationSeconds: 60 });
      expect((await limit.consume('a')).allowed).toBe(true);
      expect((await limit.consume('a')).allowed).toBe(false);
      expect((await limit.consume('b')).allowed).toBe(true);
    });

    it('gives the budget back after the window', async () => {
      const limit = store.limit({ name: `c-${randomUUID()}`, points: 1, durationSeconds: 1 });
      expect((await limit.consume('k')).allowed).toBe(true);
      expect((await limit.consume('k')).allowed).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await limit.consume('k')).allowed).toBe(true);
    });

    it('exactly `points` of many concurrent requests pass', async () => {
      const limit = store.limit({ name: `c-${randomUUID()}`, points: 5, durationSeconds: 60 });
      const results = await Promise.all(Array.from({ length: 20 }, () => limit.consume('k')));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
    });

    it('reports healthy while its backend answers', async () => {
      expect((await store.health()).status).toBe('ok');
    });
  });
}
