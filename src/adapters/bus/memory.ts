import type { CloudEvent, EventBus } from './types.js';

export type EventListener = (event: CloudEvent) => void;

/**
 * The embedded bus (no AMQP_URL): events are logged and handed to in-process listeners.
 * Nothing outside the process sees them.
 */
export class MemoryEventBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly listeners = new Set<EventListener>();
  private closed = false;

  constructor(private readonly log?: { info(fields: object, message: string): void }) {}

  /** Returns a function that removes the listener. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(event: CloudEvent): Promise<void> {
    if (this.closed) throw new Error('event bus is closed');
    // Identifiers only: data may hold personal details (an email address).
    this.log?.info({ event: { id: event.id, type: event.type, subject: event.subject } }, 'event');
    for (const listener of this.listeners) listener(event);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}
