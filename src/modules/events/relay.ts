import type { CloudEvent, EventBus } from '../../adapters/bus/index.js';
import type { SealedBox } from '../../adapters/keys/index.js';
import type { MailTransport } from '../../adapters/mail/index.js';
import type { Clock } from '../../clock.js';
import { openMailPayload } from './outbox.js';
import type { OutboxRepository, OutboxRow } from './repository.js';
import type { Metrics } from '../../adapters/telemetry/metrics.js';

export interface RelaySettings {
  /** CloudEvents `source`. */
  source: string;
  mailFrom: string;
  /** Attempts before a row is parked as failed. */
  maxAttempts: number;
  /** First retry delay; it doubles with each attempt up to `maxRetryDelayMs`. */
  retryBaseMs: number;
  maxRetryDelayMs?: number;
  batchSize?: number;
  /** How long a claimed row is held; longer than any one delivery can take. */
  leaseMs?: number;
  pollIntervalMs: number;
}

export interface RelayReport {
  delivered: number;
  retried: number;
  parked: number;
}

interface RelayLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * The worker: claims due outbox rows, publishes events to the bus and sends mail jobs,
 * deletes what was delivered, reschedules failures with exponential backoff and parks a row
 * as `failed` after `maxAttempts`. Delivery is at-least-once; an event keeps its id.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly deps: {
      outbox: OutboxRepository;
      bus: EventBus;
      mail: MailTransport;
      clock: Clock;
      box: SealedBox | undefined;
      settings: RelaySettings;
      log: RelayLog;
      /** Mails handed over or failed, by template. */
      metrics?: Pick<Metrics, 'mailsSent' | 'mailsFailed'>;
    },
  ) {}

  /** One pass over the due rows. */
  async runOnce(): Promise<RelayReport> {
    const { outbox, clock, settings } = this.deps;
    const report: RelayReport = { delivered: 0, retried: 0, parked: 0 };
    const now = clock.now();
    const rows = await outbox.claim(
      now,
      new Date(now.getTime() + (settings.leaseMs ?? 120_000)),
      settings.batchSize ?? 50,
    );
    for (const row of rows) {
      try {
        await this.deliver(row);
        await outbox.delete(row.id);
        report.delivered += 1;
        if (row.kind === 'mail') this.deps.metrics?.mailsSent.inc({ kind: row.type });
      } catch (error) {
        const reason = describe(error);
        if (row.kind === 'mail') this.deps.metrics?.mailsFailed.inc({ kind: row.type });
        const fields = {
          outbox_id: row.id,
          kind: row.kind,
          type: row.type,
          attempts: row.attempts,
        };
        if (row.attempts >= settings.maxAttempts) {
          await outbox.park(row.id, reason);
          this.deps.log.error({ ...fields, error: reason }, 'outbox row parked as failed');
          report.parked += 1;
        } else {
          const delay = backoff(row.attempts, settings.retryBaseMs, settings.maxRetryDelayMs);
          await outbox.scheduleRetry(row.id, new Date(clock.now().getTime() + delay), reason);
          this.deps.log.warn({ ...fields, error: reason, retry_in_ms: delay }, 'delivery failed');
          report.retried += 1;
        }
      }
    }
    return report;
  }

  /** Passes until nothing is due (tests and `worker --once`). */
  async drain(): Promise<RelayReport> {
    const total: RelayReport = { delivered: 0, retried: 0, parked: 0 };
    for (;;) {
      const report = await this.runOnce();
      total.delivered += report.delivered;
      total.retried += report.retried;
      total.parked += report.parked;
      if (report.delivered + report.retried + report.parked === 0) return total;
    }
  }

  /** Polls every `pollIntervalMs` until `stop()`; a full batch is followed at once by the next. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      this.running = this.runOnce()
        .then((report) => {
          const busy = report.delivered + report.retried + report.parked > 0;
          return busy ? 0 : this.deps.settings.pollIntervalMs;
        })
        .catch((error: unknown) => {
          this.deps.log.error({ error: describe(error) }, 'outbox pass failed');
          return this.deps.settings.pollIntervalMs;
        })
        .then((delay) => {
          if (!this.stopped) this.timer = setTimeout(tick, delay);
        });
    };
    tick();
  }

  /** Finishes the pass in progress, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async deliver(row: OutboxRow): Promise<void> {
    if (row.kind === 'event') {
      await this.deps.bus.publish(toCloudEvent(row, this.deps.settings.source));
      return;
    }
    const message = openMailPayload(row, this.deps.box);
    await this.deps.mail.send({ ...message, id: row.id, from: this.deps.settings.mailFrom });
  }
}

export function toCloudEvent(row: OutboxRow, source: string): CloudEvent {
  return {
    specversion: '1.0',
    id: row.id,
    source,
    type: row.type,
    time: row.createdAt.toISOString(),
    ...(row.subject ? { subject: row.subject } : {}),
    datacontenttype: 'application/json',
    data: row.payload,
  };
}

/** Exponential with jitter: half the doubled delay fixed, half random. */
export function backoff(attempt: number, baseMs: number, maxMs = 15 * 60_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** An error's message only: never a stack or a payload (they might hold an address or code). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 500);
}
