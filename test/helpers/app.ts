import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import type {
  FastifyInstance,
  FastifyServerOptions,
  InjectOptions,
  LightMyRequestResponse,
} from 'fastify';
import { MemoryEventBus, type CloudEvent, type EventBus } from '../../src/adapters/bus/index.js';
import type { MailTransport } from '../../src/adapters/mail/index.js';
import type { RelayReport } from '../../src/modules/events/relay.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openGatehouse, type Gatehouse } from '../../src/gatehouse.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TMP_ROOT } from './paths.js';

/** Cheap argon2 for speed; one end-to-end suite overrides these with the production values. */
export const FAST_HASH_ENV = {
  PASSWORD_HASH_MEMORY_KIB: '1024',
  PASSWORD_HASH_ITERATIONS: '1',
};

export interface TestApp {
  app: FastifyInstance;
  gatehouse: Gatehouse;
  config: Config;
  clock: ManualClock;
  db: TestDatabase;
  /** Events published to the in-process bus (empty when a bus was given in options). */
  events: CloudEvent[];
  /** Runs the outbox relay until nothing is due: events published, mail sent. */
  deliver(): Promise<RelayReport>;
  /** Closes the app only; the database stays for a restart. */
  stop(): Promise<void>;
  /** Closes the app and drops the database. */
  close(): Promise<void>;
}

/**
 * Harness defaults: rate limits off (suites log in far more often than a person would; the
 * limits have their own suite) and no idle timeout (suites move the clock by days).
 */
export const HARNESS_ENV = {
  RATE_LIMIT_ENABLED: 'false',
  SESSION_IDLE_TIMEOUT_MINUTES: '0',
};

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Fastify logger options (e.g. a pino stream capturing the lines); silent by default. */
  logger?: FastifyServerOptions['logger'];
  /** Reuse a database (restart, second instance); created fresh otherwise. */
  db?: TestDatabase;
  clock?: ManualClock;
  /** Replace the in-process bus or the configured mail transport. */
  bus?: EventBus;
  mail?: MailTransport;
}

export function tempDir(prefix = 'app-'): string {
  return mkdtempSync(path.join(TMP_ROOT, prefix));
}

/** A Gatehouse on this project's database kind, driven with `app.inject`. */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    DATA_DIR: tempDir('data-'),
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://gatehouse.test',
    ...FAST_HASH_ENV,
    ...HARNESS_ENV,
    ...options.env,
  });
  const clock = options.clock ?? new ManualClock();
  const events: CloudEvent[] = [];
  let bus = options.bus;
  if (!bus) {
    const memory = new MemoryEventBus();
    memory.subscribe((event) => events.push(event));
    bus = memory;
  }
  const gatehouse = await openGatehouse(config, {
    clock,
    database: await db.open(),
    logger: options.logger ?? false,
    skipMigrations: db.kind === 'postgres',
    worker: 'manual',
    bus,
    mail: options.mail,
  });
  return {
    app: gatehouse.app,
    gatehouse,
    config,
    clock,
    db,
    events,
    deliver: () => gatehouse.worker.relay.drain(),
    stop: () => gatehouse.close(),
    async close() {
      await gatehouse.close();
      if (!options.db) await db.drop();
    },
  };
}

let counter = 0;
/** A unique, valid account for one test. */
export function newAccount(
  overrides: Partial<{ email: string; username: string; password: string }> = {},
) {
  counter += 1;
  const tag = `${process.pid.toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`;
  return {
    email: `user${tag}@example.com`,
    username: `user${tag}`,
    password: `Sunset-Harbor-${tag}-Lantern`,
    ...overrides,
  };
}

export const API = '/api/v1';

export function json(response: LightMyRequestResponse): any {
  return JSON.parse(response.body);
}

export async function post(app: FastifyInstance, url: string, payload?: unknown, token?: string) {
  return app.inject({
    method: 'POST',
    url: `${API}${url}`,
    payload: payload as InjectOptions['payload'],
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

export async function get(app: FastifyInstance, url: string, token?: string) {
  return app.inject({
    method: 'GET',
    url:
      url.startsWith('/') && !url.startsWith(API) && !url.startsWith('/.well')
        ? `${API}${url}`
        : url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Registers a fresh account and logs it in; returns the account and its tokens. */
export async function registerAndLogin(app: FastifyInstance) {
  const account = newAccount();
  const registered = await post(app, '/auth/register', account);
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  const login = await post(app, '/auth/login', {
    identifier: account.email,
    password: account.password,
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  const body = json(login);
  return {
    account,
    user: body.user as { id: string },
    accessToken: body.access_token as string,
    refreshToken: body.refresh_token as string,
  };
}
