import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Counter as CounterType,
} from 'prom-client';

/**
 * The Prometheus figures Gatehouse exposes on `GET /metrics`: one registry per process (not
 * prom-client's global one), created in the composition root and handed to whoever produces a
 * figure through its deps. Labels carry bounded values only (route templates, outcomes, kinds),
 * never user data.
 */

export type LoginOutcome =
  | 'success'
  | 'bad_credentials'
  | 'locked'
  | 'mfa_required'
  | 'disabled'
  | 'email_not_verified'
  | 'rate_limited'
  | 'error';

export type MfaEvent =
  | 'enabled'
  | 'disabled'
  | 'challenge_passed'
  | 'challenge_failed'
  | 'backup_code_used'
  | 'backup_codes_regenerated';

/** A snapshot of the outbox, read when Prometheus scrapes. */
export interface OutboxStats {
  /** Rows not yet published or sent. */
  backlog: number;
  /** Age of the oldest of them, in seconds (0 when there is none). */
  oldestPendingAgeSeconds: number;
}

/** A snapshot of a connection pool, read when Prometheus scrapes. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly httpRequestsInFlight: Gauge;
  readonly registrations: Counter;
  readonly logins: Counter<'outcome'>;
  readonly refreshes: Counter;
  readonly refreshReuseDetections: Counter;
  readonly lockouts: Counter;
  readonly mfaEvents: Counter<'event'>;
  readonly mailsSent: Counter<'kind'>;
  readonly mailsFailed: Counter<'kind'>;
  /** Reads the outbox on each scrape (the relay registers it); 0 until then. */
  observeOutbox(source: () => Promise<OutboxStats>): void;
  /** Reads the database pool on each scrape; 0 on embedded PGlite. */
  observeDatabasePool(source: () => PoolStats): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Seconds: from a cached token check (~1 ms) to a production argon2 login under load. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let outboxSource: (() => Promise<OutboxStats>) | undefined;
  let poolSource: (() => PoolStats) | undefined;

  // One read of the outbox per scrape feeds both of its gauges.
  let outboxRead: Promise<OutboxStats | undefined> | undefined;
  const readOutbox = () => {
    outboxRead ??= (outboxSource?.() ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .finally(() => setImmediate(() => (outboxRead = undefined)));
    return outboxRead;
  };

  const counter = <L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ): CounterType<L> => new Counter<L>({ name, help, labelNames, registers });

  new Gauge({
    name: 'gatehouse_outbox_backlog',
    help: 'Outbox rows waiting to be published or sent.',
    registers,
    async collect() {
      const stats = await readOutbox();
      if (stats) this.set(stats.backlog);
    },
  });
  new Gauge({
    name: 'gatehouse_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox row still waiting.',
    registers,
    async collect() {
      const stats = await readOutbox();
      if (stats) this.set(stats.oldestPendingAgeSeconds);
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_connections_in_use',
    help: 'Database connections checked out of the pool.',
    registers,
    collect() {
      if (poolSource) {
        const stats = poolSource();
        this.set(stats.total - stats.idle);
      }
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_waiting_requests',
    help: 'Queries waiting for a free database connection.',
    registers,
    collect() {
      if (poolSource) this.set(poolSource().waiting);
    },
  });

  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    httpRequestsInFlight: new Gauge({
      name: 'gatehouse_http_requests_in_flight',
      help: 'Requests being handled (shutdown waits for these).',
      registers,
    }),
    registrations: counter('gatehouse_registrations_total', 'Accounts registered.'),
    logins: counter('gatehouse_logins_total', 'Password login attempts by outcome.', ['outcome']),
    refreshes: counter('gatehouse_token_refreshes_total', 'Refresh tokens rotated.'),
    refreshReuseDetections: counter(
      'gatehouse_refresh_token_reuse_detections_total',
      'Spent refresh tokens presented again (the session is revoked).',
    ),
    lockouts: counter('gatehouse_lockouts_total', 'Accounts locked after failed logins.'),
    mfaEvents: counter('gatehouse_mfa_events_total', 'MFA events by kind.', ['event']),
    mailsSent: counter('gatehouse_mails_sent_total', 'Mails handed to the transport, by kind.', [
      'kind',
    ]),
    mailsFailed: counter('gatehouse_mails_failed_total', 'Mail delivery attempts that failed.', [
      'kind',
    ]),
    observeOutbox(source) {
      outboxSource = source;
    },
    observeDatabasePool(source) {
      poolSource = source;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
