import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { openDatabase, type Database } from './adapters/db/index.js';
import { chooseKeyEncryption, createTokenSigner, type TokenSigner } from './adapters/keys/index.js';
import { createLimiterStore } from './adapters/limiter/index.js';
import { buildApp, loggerOptions } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { AuditRepository } from './modules/audit/repository.js';
import { AuditService } from './modules/audit/service.js';
import { PasswordHasher } from './modules/auth/password-hasher.js';

export interface Gatehouse {
  app: FastifyInstance;
  database: Database;
  signer: TokenSigner;
  /** Deletes audit events older than AUDIT_RETENTION_DAYS; returns how many. */
  pruneAuditEvents(): Promise<number>;
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
    });
    if (encryption.source === 'none' && signer.algorithm !== 'HS256') {
      app.log.warn(
        'KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted in the database',
      );
    }
    await app.ready();
    const audit = new AuditService({
      audit: new AuditRepository(database),
      clock,
      retentionDays: config.protection.auditRetentionDays,
    });
    return {
      app,
      database,
      signer,
      pruneAuditEvents: () => audit.prune(),
      async close() {
        shuttingDown = true;
        await app.close();
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
