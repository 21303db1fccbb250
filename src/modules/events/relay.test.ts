import { describe, expect, it } from 'vitest';
import { backoff, toCloudEvent } from './relay.js';
import type { OutboxRow } from './repository.js';

describe('backoff', () => {
  it('doubles from the base, with half of it random, up to the cap', () => {
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      const ceiling = 1000 * 2 ** (attempt - 1);
      for (let i = 0; i < 20; i += 1) {
        const delay = backoff(attempt, 1000);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
    expect(backoff(40, 1000, 60_000)).toBeLessThanOrEqual(60_000);
    expect(backoff(40, 1000, 60_000)).toBeGreaterThanOrEqual(30_000);
  });
});

describe('toCloudEvent', () => {
  it('maps an outbox row to CloudEvents 1.0 with the row id as event id', () => {
    const row = {
      id: '6f1c1c55-9d55-4a39-9d0b-0e4a1c2b7f10',
      seq: 1,
      kind: 'event',
      type: 'user.deleted',
      subject: 'c0a80101-0000-4000-8000-000000000001',
      payload: { id: 'c0a80101-0000-4000-8000-000000000001' },
      status: 'pending',
      attempts: 1,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      nextAttemptAt: new Date('2026-01-01T00:00:00Z'),
      lockedUntil: null,
      lastError: null,
    } satisfies OutboxRow;
    expect(toCloudEvent(row, 'https://id.example.com')).toEqual({
      specversion: '1.0',
      id: row.id,
      source: 'https://id.example.com',
      type: 'user.deleted',
      time: '2026-01-01T00:00:00.000Z',
      subject: row.subject,
      datacontenttype: 'application/json',
      data: row.payload,
    });
  });
});
