import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, newAccount, post, type TestApp } from '../helpers/app.js';
import { parseExposition, valueOf } from '../helpers/prometheus.js';

/** @see issue #8 — mail counters and outbox gauges are fed by the relay. */
describe('outbox and mail metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function scrape() {
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return parseExposition(response.body);
  }

  it('counts mails sent and reports the backlog before and after delivery', async () => {
    const before = await scrape();
    const sentBefore = valueOf(before, 'gatehouse_mails_sent_total', { kind: 'verify_email' }) ?? 0;

    const account = newAccount();
    expect((await post(t.app, '/auth/register', account)).statusCode).toBe(201);
    const queued = await scrape();
    expect(valueOf(queued, 'gatehouse_outbox_backlog', {})).toBeGreaterThanOrEqual(2);
    expect(
      valueOf(queued, 'gatehouse_outbox_oldest_pending_age_seconds', {}),
    ).toBeGreaterThanOrEqual(0);

    await t.deliver();
    const after = await scrape();
    expect(valueOf(after, 'gatehouse_mails_sent_total', { kind: 'verify_email' })).toBe(
      sentBefore + 1,
    );
    expect(valueOf(after, 'gatehouse_outbox_backlog', {})).toBe(0);
    expect(valueOf(after, 'gatehouse_outbox_oldest_pending_age_seconds', {})).toBe(0);
    // No address in any label or value line.
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).not.toContain(account.email);
  });
});
