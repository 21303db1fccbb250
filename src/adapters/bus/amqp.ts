import type amqp from 'amqplib';
import type { CloudEvent, EventBus } from './types.js';

export interface AmqpBusOptions {
  url: string;
  exchange: string;
  /** A publish not confirmed by then fails (the relay retries it). */
  confirmTimeoutMs?: number;
  connectTimeoutMs?: number;
}

type Channel = Awaited<
  ReturnType<Awaited<ReturnType<typeof amqp.connect>>['createConfirmChannel']>
>;
type Connection = Awaited<ReturnType<typeof amqp.connect>>;

/**
 * Publishes to a durable topic exchange with publisher confirms: routing key = event type,
 * body = the CloudEvent as JSON, persistent, `messageId` = event id. Connects lazily and
 * reconnects on the next publish after any connection or channel failure.
 */
export class AmqpEventBus implements EventBus {
  readonly kind = 'amqp' as const;
  private opening: Promise<{ connection: Connection; channel: Channel }> | undefined;
  private closed = false;
  /** Bumped per connection, so events of a connection already replaced are ignored. */
  private generation = 0;

  constructor(private readonly options: AmqpBusOptions) {}

  async publish(event: CloudEvent): Promise<void> {
    const { channel } = await this.open();
    const body = Buffer.from(JSON.stringify(event));
    const timeoutMs = this.options.confirmTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reset();
        reject(new Error(`broker did not confirm within ${timeoutMs} ms`));
      }, timeoutMs);
      try {
        channel.publish(
          this.options.exchange,
          event.type,
          body,
          {
            persistent: true,
            contentType: 'application/cloudevents+json',
            messageId: event.id,
            type: event.type,
            timestamp: Math.floor(Date.parse(event.time) / 1000),
          },
          (error: unknown) => {
            clearTimeout(timer);
            if (error)
              reject(error instanceof Error ? error : new Error('broker refused the event'));
            else resolve();
          },
        );
      } catch (error) {
        clearTimeout(timer);
        this.reset();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    this.opening = undefined;
    if (!opening) return;
    try {
      const { connection } = await opening;
      await connection.close();
    } catch {
      // Already gone.
    }
  }

  private open() {
    if (this.closed) return Promise.reject(new Error('event bus is closed'));
    this.opening ??= this.connect(++this.generation).catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async connect(generation: number) {
    const lost = () => {
      if (generation === this.generation) this.reset();
    };
    // Loaded on first use: processes without AMQP_URL never pay for the client.
    const { default: client } = await import('amqplib');
    const connection = await client.connect(this.options.url, {
      timeout: this.options.connectTimeoutMs ?? 5_000,
    });
    // Errors surface as failed publishes; the next publish reconnects.
    connection.on('error', lost);
    connection.on('close', lost);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', lost);
      channel.on('close', lost);
      await channel.assertExchange(this.options.exchange, 'topic', { durable: true });
      return { connection, channel };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  private reset(): void {
    const opening = this.opening;
    this.opening = undefined;
    opening?.then(
      ({ connection }) => connection.close().catch(() => undefined),
      () => undefined,
    );
  }
}
