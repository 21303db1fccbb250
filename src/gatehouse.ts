import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { openDatabase, type Database } from './adapters/db/index.js';
import { chooseKeyEncryption, createTokenSigner, type TokenSigner } from './adapters/keys/index.js';
import { createErrorReporter, type ErrorReporter } from './adapters/telemetry/error-reporter.js';
import { createMetrics, type Metrics } from './adapters/telemetry/metrics.js';
import { buildApp, loggerOptions } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { InFlightRequests } from './http/request-tracking.js';
import type { ReadinessCheck } from './modules/platform/routes.js';
import { PasswordHasher } from './modules/auth/password-hasher.js';
import { VERSION } from './version.js';

export interface Gatehouse {
  app: FastifyInstance;
  database: Database;
  signer: TokenSigner;
  metrics: Metrics;
  /**
   * Adds a step to shutdown, run after HTTP has stopped and before the database closes, the
   * last added first: the place for the worker's drain and for closing Redis or the broker.
   */
  onShutdown(name: string, step: () => Promise<void>): void;
  /**
   * Readiness off, stops accepting, lets in-flight requests finish (also those whose client
   * hung up, up to `timeoutMs`), runs the shutdown steps, then closes the database.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

export interface GatehouseOptions {
  clock?: Clock;
  /** An already open database (tests share one); otherwise opened from config. */
  database?: Database;
  logger?: FastifyServerOptions['logger'];
  /** Skip migrations (the caller ran them). */
  skipMigrations?: boolean;
  metrics?: Metrics;
  errorReporter?: ErrorReporter;
  /** Extra `/ready` checks (adapters opened by the caller: Redis, broker…). */
  readinessChecks?: ReadinessCheck[];
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
  const metrics = options.metrics ?? createMetrics();
  if (database.poolStats) metrics.observeDatabasePool(database.poolStats.bind(database));
  const inFlight = new InFlightRequests();
  const shutdownSteps: { name: string; step: () => Promise<void> }[] = [];
  let shuttingDown = false;
  try {
    const errorReporter =
      options.errorReporter ??
      (await createErrorReporter({
        dsn: config.telemetry.sentryDsn,
        environment: config.telemetry.environment,
        release: VERSION,
      }));
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
      logger,
      metrics,
      inFlight,
      errorReporter,
      readinessChecks: options.readinessChecks,
      isShuttingDown: () => shuttingDown,
    });
    if (encryption.source === 'none' && signer.algorithm !== 'HS256') {
      app.log.warn(
        'KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted in the database',
      );
    }
    await app.ready();
    return {
      app,
      database,
      signer,
      metrics,
      onShutdown(name, step) {
        shutdownSteps.push({ name, step });
      },
      async close({ timeoutMs = config.lifecycle.shutdownTimeoutSeconds * 1000 } = {}) {
        const deadline = Date.now() + timeoutMs;
        const left = () => Math.max(0, deadline - Date.now());
        shuttingDown = true;
        await app.close();
        // Connections are closed, but a handler whose client hung up may still be running.
        if (!(await inFlight.drained(left()))) {
          app.log.warn({ in_flight: inFlight.size }, 'requests still running at the deadline');
        }
        for (const { name, step } of shutdownSteps.splice(0).reverse()) {
          try {
            await step();
          } catch (error) {
            app.log.error({ err: error, step: name }, 'shutdown step failed');
          }
        }
        await errorReporter.flush(Math.min(2_000, left()));
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw error;
  }
}
