/** A CloudEvents 1.0 event in structured JSON mode, as published to the bus. */
export interface CloudEvent {
  specversion: '1.0';
  /** Stable across retries: consumers deduplicate on it. */
  id: string;
  source: string;
  type: string;
  time: string;
  /** The user the event is about. */
  subject?: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

/**
 * Where the outbox relay publishes events. `publish` resolves only once the event is safely
 * accepted (for RabbitMQ: the broker confirmed it) and rejects otherwise, so the relay keeps
 * the row and retries.
 */
export interface EventBus {
  readonly kind: 'memory' | 'amqp';
  publish(event: CloudEvent): Promise<void>;
  close(): Promise<void>;
}
