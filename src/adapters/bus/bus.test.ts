import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AmqpEventBus } from './amqp.js';
import { eventBusContract, sampleEvent } from './contract.js';
import { MemoryEventBus } from './memory.js';
import type { CloudEvent } from './types.js';

eventBusContract('memory', async () => {
  const bus = new MemoryEventBus();
  const received: CloudEvent[] = [];
  bus.subscribe((event) => received.push(event));
  return { bus, received: () => received, close: () => bus.close() };
});

const AMQP_URL = process.env.AMQP_URL;
const REQUIRED = process.env.CI === 'true';

describe.skipIf(!AMQP_URL && !REQUIRED)('RabbitMQ bus (AMQP_URL)', () => {
  if (!AMQP_URL) {
    it('needs AMQP_URL when CI=true', () => {
      throw new Error('AMQP_URL is required for the RabbitMQ suites (CI=true)');
    });
    return;
  }
  eventBusContract('amqp', async () => {
    const exchange = `gatehouse.contract.${randomBytes(6).toString('hex')}`;
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    const received: CloudEvent[] = [];
    await channel.consume(
      queue,
      (message) => message && received.push(JSON.parse(message.content.toString('utf8'))),
      { noAck: true },
    );
    const bus = new AmqpEventBus({ url: AMQP_URL, exchange });
    return {
      bus,
      received: () => received,
      async close() {
        await bus.close();
        await channel.deleteExchange(exchange);
        await connection.close();
      },
    };
  });

  it('rejects quickly when the broker cannot be reached', async () => {
    const bus = new AmqpEventBus({
      url: 'amqp://guest:guest@127.0.0.1:1',
      exchange: 'gatehouse.unreachable',
    });
    await expect(bus.publish(sampleEvent())).rejects.toThrow();
    await bus.close();
  });
});
