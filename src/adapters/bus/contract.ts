import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent, EventBus } from './types.js';

/** A bus under test and a way to see what reached the other side. */
export interface BusFixture {
  bus: EventBus;
  /** Events received by a subscriber/consumer so far. */
  received(): CloudEvent[];
  close(): Promise<void>;
}

export function sampleEvent(type = 'user.updated'): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'https://id.example.com',
    type,
    time: new Date().toISOString(),
    subject: randomUUID(),
    datacontenttype: 'application/json',
    data: { id: 'x', changed: ['full_name'], name: 'Zoë 🙂' },
  };
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 30));
}

/** What every EventBus must do, run against each implementation. */
export function eventBusContract(name: string, open: () => Promise<BusFixture>): void {
  describe(`EventBus contract: ${name}`, () => {
    let fixture: BusFixture;
    beforeAll(async () => {
      fixture = await open();
    });
    afterAll(async () => {
      await fixture.close();
    });

    it('delivers a published event whole, id included, once publish resolves', async () => {
      const event = sampleEvent();
      await fixture.bus.publish(event);
      await eventually(() => fixture.received().some((e) => e.id === event.id));
      expect(fixture.received().filter((e) => e.id === event.id)).toEqual([event]);
    });

    it('keeps the order of sequential publishes', async () => {
      const events = [
        sampleEvent('user.created'),
        sampleEvent('user.updated'),
        sampleEvent('user.deleted'),
      ];
      for (const event of events) await fixture.bus.publish(event);
      const ids = events.map((e) => e.id);
      await eventually(() => ids.every((id) => fixture.received().some((e) => e.id === id)));
      expect(
        fixture
          .received()
          .filter((e) => ids.includes(e.id))
          .map((e) => e.id),
      ).toEqual(ids);
    });

    it('rejects a publish after close', async () => {
      const spare = await open();
      await spare.close();
      await expect(spare.bus.publish(sampleEvent())).rejects.toThrow();
    });
  });
}
