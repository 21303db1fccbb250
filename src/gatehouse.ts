import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { openDatabase, type Database } from './adapters/db/index.js';
import { chooseKeyEncryption, createTokenSigner, type TokenSigner } from './adapters/keys/index.js';
import { createLimiterStore } from './adapters/limiter/index.js';
import { buildApp, loggerOptions } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { AuditRepository } from './modules/audit/repository.js';
import { AuditService } from './modules/audit/service.js';
import type { EventBus } from './adapters/bus/index.js';
import type { MailTransport } from './adapters/mail/index.js';
import { PasswordHasher } from './modules/auth/password-hasher.js';
import { createOutboxWorker, runsWorkerInProcess, type OutboxWorker } from './worker.js';

export interface Gatehouse {
  app: FastifyInstance;
  database: Database;
  signer: TokenSigner;
  /** Deletes audit events older than AUDIT_RETENTION_DAYS; returns how many. */
  pruneAuditEvents(): Promise<number>;
  /** The outbox relay; its loop runs only when the worker is in-process (see worker.ts). */
  worker: OutboxWorker;
  /** Stops serving (in-flight requests finish), then closes the database. */
  close(): Promise<void>;
}

export interface GatehouseOptions {
  clock?: Clock;
  /** An already open database (tests share one); otherwise opened from config. */
  database?: Database;
  logger?: FastifyServerOptions['logger'];
  /** Skip migrations (the caller ran them). */
  skipMigrations?: boolean;
  /** `manual`: never start the relay loop (tests drive it); `config` (default): as configured. */
  worker?: 'config' | 'manual';
  /** Replace the configured bus or mail transport (tests). */
  bus?: EventBus;
  mail?: MailTransport;
}

/** Opens every adapter from config and builds the HTTP app on top: one call for serve and tests. */
export async function openGatehouse(
  config: Config,
  options: GatehouseOptions = {},
): Promise<Gatehouse> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? loggerOptions(config.log.level);
  const database = options.database ?? (await openDatabase(config));
  const ownsDatabase = options.database === undefined;
  const limiter = createLimiterStore({
    redisUrl: config.protection.redisUrl,
    keyPrefix: config.protection.redisKeyPrefix,
  });
  let shuttingDown = false;
  try {
    if (!options.skipMigrations) await database.migrate();
    const encryption = chooseKeyEncryption({
      keyEncryptionKey: config.tokens.keyEncryptionKey,
      embedded: database.kind === 'pglite',
      dataDir: config.dataDir,
    });
    const signer = await createTokenSigner({ config, db: database.db, box: encryption.box, clock });
    const hasher = new PasswordHasher({
      memoryKib: config.passwords.hashMemoryKib,
      iterations: config.passwords.hashIterations,
      parallelism: config.passwords.hashParallelism,
      concurrency: config.passwords.hashConcurrency,
    });
    await hasher.warmUp();
    const app = await buildApp({
      config,
      database,
      signer,
      hasher,
      clock,
      limiter,
      logger,
      isShuttingDown: () => shuttingDown,
      box: encryption.box,
    });
    if (encryption.source === 'none' && signer.algorithm !== 'HS256') {
      app.log.warn(
        'KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted in the database',
      );
    }
    const worker = createOutboxWorker({
      config,
      database,
      box: encryption.box,
      clock,
      log: app.log.child({ module: 'outbox' }),
      bus: options.bus,
      mail: options.mail,
    });
    if (encryption.source === 'none') {
      app.log.warn(
        'KEY_ENCRYPTION_KEY is not set: queued mail (codes and links) is stored unencrypted until sent',
      );
    }
    await app.ready();
    const audit = new AuditService({
      audit: new AuditRepository(database),
      clock,
      retentionDays: config.protection.auditRetentionDays,
    });
    if (options.worker !== 'manual' && runsWorkerInProcess(config)) {
      worker.relay.start();
      app.log.info(
        { bus: worker.bus.kind, mail: worker.mail.kind },
        'outbox worker running in-process',
      );
    }
    return {
      app,
      database,
      signer,
      pruneAuditEvents: () => audit.prune(),
      worker,
      async close() {
        shuttingDown = true;
        await app.close();
        await worker.close();
        await limiter.close();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    await limiter.close();
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw error;
  }
}
