import pino from 'pino';
import { openDatabase } from './adapters/db/index.js';
import { chooseKeyEncryption } from './adapters/keys/index.js';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { OutboxRepository } from './modules/events/repository.js';
import { createOutboxWorker } from './worker.js';

/** `gatehouse worker [--once]`: the outbox relay as a process of its own (PostgreSQL only). */
export async function workerCommand(config: Config, args: string[]): Promise<number> {
  if (!config.database.url) {
    process.stderr.write(
      'worker: needs DATABASE_URL; with the embedded database, `serve` runs the worker itself\n',
    );
    return 2;
  }
  const log = pino({ level: config.log.level, base: { module: 'outbox' } });
  const database = await openDatabase(config, (error) =>
    log.warn({ error: error.message }, 'database connection lost'),
  );
  try {
    await database.migrate();
    const { box } = chooseKeyEncryption({
      keyEncryptionKey: config.tokens.keyEncryptionKey,
      embedded: false,
      dataDir: config.dataDir,
    });
    const worker = createOutboxWorker({ config, database, box, clock: systemClock, log });
    if (args.includes('--once')) {
      const report = await worker.relay.drain();
      await worker.close();
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    log.info({ bus: worker.bus.kind, mail: worker.mail.kind }, 'worker started');
    worker.relay.start();
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    log.info('worker stopping');
    await worker.close();
    return 0;
  } finally {
    await database.close();
  }
}

/**
 * `gatehouse outbox status`: undelivered rows by kind and state.
 * `gatehouse outbox retry`: puts every parked (failed) row back in line.
 */
export async function outboxCommand(config: Config, args: string[]): Promise<number> {
  const [action] = args;
  if (action !== 'status' && action !== 'retry') {
    process.stderr.write('usage: gatehouse outbox status|retry\n');
    return 2;
  }
  const database = await openDatabase(config);
  try {
    await database.migrate();
    const repository = new OutboxRepository(database.db);
    if (action === 'retry') {
      const count = await repository.retryFailed(systemClock.now());
      process.stdout.write(`${count} failed outbox row(s) queued for delivery again\n`);
      return 0;
    }
    const counts = await repository.counts();
    const line = (kind: string, status: string) =>
      counts.find((c) => c.kind === kind && c.status === status)?.count ?? 0;
    for (const kind of ['event', 'mail']) {
      process.stdout.write(
        `${kind}: ${line(kind, 'pending')} pending, ${line(kind, 'failed')} failed\n`,
      );
    }
    return 0;
  } finally {
    await database.close();
  }
}
