import { createEventBus, type EventBus } from './adapters/bus/index.js';
import type { Database } from './adapters/db/index.js';
import type { SealedBox } from './adapters/keys/index.js';
import { createMailTransport, type MailTransport } from './adapters/mail/index.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { OutboxRepository } from './modules/events/repository.js';
import { OutboxRelay } from './modules/events/relay.js';
import type { Metrics } from './adapters/telemetry/metrics.js';

export interface WorkerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface OutboxWorker {
  relay: OutboxRelay;
  bus: EventBus;
  mail: MailTransport;
  /** Stops the loop (the pass in progress finishes), then closes the bus and the mail transport. */
  close(): Promise<void>;
}

/**
 * `serve` runs the worker itself in embedded mode: with PGlite (one process owns the
 * database) or without AMQP_URL (the in-process bus lives in the API process).
 * WORKER_IN_PROCESS=true|false overrides.
 */
export function runsWorkerInProcess(config: Config): boolean {
  const { workerInProcess } = config.lifecycle.outbox;
  if (workerInProcess !== 'auto') return workerInProcess === 'true';
  return !config.database.url || !config.lifecycle.events.amqpUrl;
}

/** The outbox relay with the bus and mail transport chosen from config (or given, in tests). */
export function createOutboxWorker(options: {
  config: Config;
  database: Database;
  box: SealedBox | undefined;
  clock: Clock;
  log: WorkerLog;
  bus?: EventBus;
  mail?: MailTransport;
  /** Rows claimed per pass (default 50). */
  batchSize?: number;
  /** Counts mails and reports the outbox backlog. */
  metrics?: Metrics;
}): OutboxWorker {
  const { config, log } = options;
  const bus = options.bus ?? createEventBus(config, log);
  const mail = options.mail ?? createMailTransport(config);
  const { outbox } = config.lifecycle;
  const repository = new OutboxRepository(options.database.db);
  options.metrics?.observeOutbox(() => repository.backlog());
  const relay = new OutboxRelay({
    outbox: repository,
    metrics: options.metrics,
    bus,
    mail,
    clock: options.clock,
    box: options.box,
    log,
    settings: {
      source: config.http.publicUrl,
      mailFrom: config.lifecycle.mail.from,
      maxAttempts: outbox.maxAttempts,
      retryBaseMs: outbox.retryBaseMs,
      pollIntervalMs: outbox.pollIntervalMs,
      batchSize: options.batchSize,
    },
  });
  return {
    relay,
    bus,
    mail,
    async close() {
      await relay.stop();
      await Promise.allSettled([bus.close(), mail.close()]);
    },
  };
}
