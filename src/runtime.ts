import { openDatabase, type Database } from './adapters/db/index.js';
import { chooseKeyEncryption, createTokenSigner, type TokenSigner } from './adapters/keys/index.js';
import type { SealedBox } from './adapters/keys/index.js';
import { createMetrics, type Metrics } from './adapters/telemetry/metrics.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { PasswordHasher } from './modules/passwords/hasher.js';
import type { AddressLimiter } from './modules/verification/address-limiter.js';
import { createServices, type Services } from './services.js';

/**
 * Cleanup steps of what has been opened so far, run last-opened first. Whatever is opened is
 * registered at once, so a failure further on closes it: nothing is opened outside a scope.
 */
export class CleanupScope {
  private readonly steps: (() => Promise<void>)[] = [];

  /** Registers `close` for `resource` (just opened) and hands the resource back. */
  own<T>(resource: T, close: (resource: T) => Promise<void>): T {
    this.steps.push(() => close(resource));
    return resource;
  }

  /** Runs every step, each once, even when one fails; rethrows the first failure. */
  async close(): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}

export interface RuntimeOptions {
  clock?: Clock;
  /** An already open database (tests share one); otherwise opened from config and owned. */
  database?: Database;
  /** Skip migrations (the caller ran them). */
  skipMigrations?: boolean;
  metrics?: Metrics;
  mailLimiter?: AddressLimiter;
}

/** The adapters and the service layer built on them: everything but HTTP and the relay loop. */
export interface Runtime {
  database: Database;
  signer: TokenSigner;
  clock: Clock;
  metrics: Metrics;
  /** Seals mail and TOTP secrets; undefined without KEY_ENCRYPTION_KEY outside embedded mode. */
  box: SealedBox | undefined;
  keyEncryption: 'env' | 'embedded-file' | 'none';
  services: Services;
  /** What the operator should know about this configuration (logged at start, printed by the CLI). */
  warnings: string[];
  /** Closes what this runtime opened (the database, unless it was given). */
  close(): Promise<void>;
}

/**
 * Opens the adapters from config (database, migrations, signing keys, password hasher) and
 * composes the services once: `serve` puts HTTP on top (gatehouse.ts), the one-shot commands
 * use it as is.
 */
export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const scope = new CleanupScope();
  try {
    const database = options.database ?? scope.own(await openDatabase(config), (db) => db.close());
    if (!options.skipMigrations) await database.migrate();
    const metrics = options.metrics ?? createMetrics();
    if (database.poolStats) metrics.observeDatabasePool(database.poolStats.bind(database));
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
    const services = createServices(config, {
      database,
      signer,
      hasher,
      clock,
      box: encryption.box,
      mailLimiter: options.mailLimiter,
      metrics,
    });
    return {
      database,
      signer,
      clock,
      metrics,
      box: encryption.box,
      keyEncryption: encryption.source,
      services,
      warnings: keyEncryptionWarnings(encryption.source, signer.algorithm),
      close: () => scope.close(),
    };
  } catch (error) {
    await scope.close().catch(() => undefined);
    throw error;
  }
}

function keyEncryptionWarnings(source: Runtime['keyEncryption'], algorithm: string): string[] {
  if (source !== 'none') return [];
  return [
    ...(algorithm === 'HS256'
      ? []
      : [
          'KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted in the database',
        ]),
    'KEY_ENCRYPTION_KEY is not set: queued mail (codes and links) is stored unencrypted until sent',
    'KEY_ENCRYPTION_KEY is not set: MFA setup is refused (503) until it is, TOTP secrets are never stored in plain text',
  ];
}
