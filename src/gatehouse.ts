import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Database } from './adapters/db/index.js';
import type { TokenSigner } from './adapters/keys/index.js';
import { createLimiterStore } from './adapters/limiter/index.js';
import { buildApp, loggerOptions } from './app.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { EventBus } from './adapters/bus/index.js';
import type { MailTransport } from './adapters/mail/index.js';
import { createOutboxWorker, runsWorkerInProcess, type OutboxWorker } from './worker.js';
import { createErrorReporter, type ErrorReporter } from './adapters/telemetry/error-reporter.js';
import type { Metrics } from './adapters/telemetry/metrics.js';
import { InFlightRequests } from './http/request-tracking.js';
import type { ReadinessCheck } from './modules/platform/routes.js';
import { AppError } from './errors.js';
import { CleanupScope, openRuntime } from './runtime.js';
import type { Services } from './services.js';
import { VERSION } from './version.js';

export interface Gatehouse {
  app: FastifyInstance;
  database: Database;
  signer: TokenSigner;
  /** The service layer behind the routes (the CLI and tests act through it). */
  services: Services;
  /** Deletes audit events older than AUDIT_RETENTION_DAYS; returns how many. */
  pruneAuditEvents(): Promise<number>;
  /** The outbox relay; its loop runs only when the worker is in-process (see worker.ts). */
  worker: OutboxWorker;
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

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD: the first admin, made only while no active admin exists. A
 * password the policy refuses stops the start, with the reason.
 */
async function bootstrapAdmin(
  admin: { email: string; password: string },
  services: Services,
  log: FastifyBaseLogger,
): Promise<void> {
  try {
    const outcome = await services.adminBootstrap.ensureAdmin(admin, { onlyIfNoAdmin: true });
    if (outcome.kind !== 'skipped') {
      log.info(
        { user_id: outcome.userId, outcome: outcome.kind },
        'first admin set up from ADMIN_EMAIL',
      );
    }
  } catch (error) {
    if (error instanceof AppError) {
      throw new Error(`ADMIN_EMAIL/ADMIN_PASSWORD: ${error.summary()}`, { cause: error });
    }
    throw error;
  }
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
  const logger = options.logger ?? loggerOptions(config.log.level);
  const inFlight = new InFlightRequests();
  const shutdownSteps: { name: string; step: () => Promise<void> }[] = [];
  let shuttingDown = false;
  // Everything opened below is closed again if a later step fails.
  const scope = new CleanupScope();
  try {
    const limiter = scope.own(
      await createLimiterStore({
        redisUrl: config.protection.redisUrl,
        keyPrefix: config.protection.redisKeyPrefix,
      }),
      (store) => store.close(),
    );
    const errorReporter =
      options.errorReporter ??
      (await createErrorReporter({
        dsn: config.telemetry.sentryDsn,
        environment: config.telemetry.environment,
        release: VERSION,
      }));
    const runtime = scope.own(
      await openRuntime(config, {
        clock: options.clock,
        database: options.database,
        skipMigrations: options.skipMigrations,
        metrics: options.metrics,
      }),
      (opened) => opened.close(),
    );
    const { database, signer, services, metrics, clock, box } = runtime;
    const app = await buildApp({
      config,
      services,
      signer,
      database,
      limiter,
      logger,
      metrics,
      inFlight,
      errorReporter,
      readinessChecks: options.readinessChecks,
      isShuttingDown: () => shuttingDown,
    });
    scope.own(app, (built) => built.close());
    for (const warning of runtime.warnings) app.log.warn(warning);
    const worker = scope.own(
      createOutboxWorker({
        config,
        database,
        box,
        clock,
        log: app.log.child({ module: 'outbox' }),
        metrics,
        bus: options.bus,
        mail: options.mail,
      }),
      (created) => created.close(),
    );
    await app.ready();
    const { email, password } = config.bootstrapAdmin;
    if (email !== undefined && password !== undefined) {
      await bootstrapAdmin({ email, password }, services, app.log);
    }
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
      services,
      pruneAuditEvents: () => services.audit.prune(),
      worker,
      metrics,
      onShutdown(name, step) {
        shutdownSteps.push({ name, step });
      },
      async close({ timeoutMs = config.shutdown.timeoutSeconds * 1000 } = {}) {
        const deadline = Date.now() + timeoutMs;
        const left = () => Math.max(0, deadline - Date.now());
        shuttingDown = true;
        await app.close();
        // Connections are closed, but a handler whose client hung up may still be running.
        if (!(await inFlight.drained(left()))) {
          app.log.warn({ in_flight: inFlight.size }, 'requests still running at the deadline');
        }
        // The in-process relay finishes its batch; the limiter lets go of Redis.
        await worker.close();
        await limiter.close();
        for (const { name, step } of shutdownSteps.splice(0).reverse()) {
          try {
            await step();
          } catch (error) {
            app.log.error({ err: error, step: name }, 'shutdown step failed');
          }
        }
        await errorReporter.flush(Math.min(2_000, left()));
        await runtime.close();
      },
    };
  } catch (error) {
    await scope.close().catch(() => undefined);
    throw error;
  }
}
