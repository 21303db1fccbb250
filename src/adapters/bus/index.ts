import type { Config } from '../../config.js';
import { AmqpEventBus } from './amqp.js';
import { MemoryEventBus } from './memory.js';
import type { EventBus } from './types.js';

export type { CloudEvent, EventBus } from './types.js';
export { AmqpEventBus } from './amqp.js';
export { MemoryEventBus } from './memory.js';

/** RabbitMQ when AMQP_URL is set, the in-process bus otherwise. */
export function createEventBus(
  config: Config,
  log?: { info(fields: object, message: string): void },
): EventBus {
  const { amqpUrl, exchange } = config.lifecycle.events;
  return amqpUrl ? new AmqpEventBus({ url: amqpUrl, exchange }) : new MemoryEventBus(log);
}
