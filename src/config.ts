import path from 'node:path';
import { Type, type StaticDecode } from '@sinclair/typebox';
import { emailProblem } from './modules/account/identifiers.js';
import { EnvConfig, type Problem, type Rule } from './config/read.js';
import {
  bool,
  group,
  int,
  list,
  oneOf,
  optionalOneOf,
  optionalText,
  optionalUrl,
  rate,
  section,
  text,
  url,
  type ExternalVariable,
} from './config/variables.js';

/**
 * Configuration is read from the environment once, validated as a whole, frozen and passed down
 * as a dependency. `CONFIG_SCHEMA` below is the only description of the variables: the `Config`
 * type, validation, the problem report (one line per bad variable, all at once) and
 * docs/configuration.md are derived from it.
 *
 * Adding a variable is a change here only:
 * 1. add a property to the section it belongs to, built with the helper of its kind — `int`,
 *    `bool`, `oneOf`, `text`, `url`, `list`, `rate` or their `optional*` forms (unset = undefined)
 *    from ./config/variables.ts — with its env name, default, range/values and a one-line `doc`;
 *    `secret: true` also accepts `<NAME>_FILE` and keeps the value out of problems;
 * 2. a rule that spans variables goes into `RULES`, naming the variable to blame;
 * 3. run `npm run docs:config` and commit docs/configuration.md (a test fails when it is stale).
 * The value is then `config.<section>.<property>`, typed. A family of variables sharing a
 * prefix (`IDP_<ID>_*`) is one `family(…)` property: see ./config/variables.ts.
 */

const URL_HTTP = ['http:', 'https:'];

/** The host of a URL; a bad one is reported on its own variable, so any name does here. */
function hostOf(value: unknown): string {
  try {
    return new URL(String(value)).hostname;
  } catch {
    return 'localhost';
  }
}

/** `count/duration` limits per client IP and per identifier of one rate-limit policy. */
function policy(name: string, what: string, defaults: { ip: string; identifier: string }) {
  const prefix = `RATE_LIMIT_${name.toUpperCase()}`;
  return group({
    ip: rate(`${prefix}_PER_IP`, { default: defaults.ip, doc: `${what}, per client IP.` }),
    identifier: rate(`${prefix}_PER_IDENTIFIER`, {
      default: defaults.identifier,
      doc: `${what}, per identifier (email, username or challenge of the body, hashed).`,
    }),
  });
}

export const CONFIG_SCHEMA = Type.Object({
  http: section(
    { title: 'HTTP' },
    {
      port: int('PORT', { default: 8000, min: 0, max: 65535, doc: 'HTTP port.' }),
      host: text('HOST', { default: '0.0.0.0', doc: 'Address to listen on.' }),
      publicUrl: url('PUBLIC_URL', {
        protocols: URL_HTTP,
        trimTrailingSlash: true,
        derivedDefault: (get) => `http://localhost:${String(get('PORT'))}`,
        defaultDoc: '`http://localhost:$PORT`',
        doc: 'The URL clients reach Gatehouse at (trailing slashes dropped): discovery document, OpenAPI `servers`, default issuer, links in mails.',
      }),
      trustProxy: bool('TRUST_PROXY', {
        default: false,
        doc: 'Trust `X-Forwarded-*` from a reverse proxy: it then decides the client IP of rate limits, sessions and audit.',
      }),
      bodyLimitBytes: int('BODY_LIMIT_BYTES', {
        default: 102_400,
        min: 1_024,
        max: 10_485_760,
        doc: 'Largest accepted request body; larger ones get `413`.',
      }),
    },
  ),
  database: section(
    {
      title: 'Database',
      doc: 'Without `DATABASE_URL` (or the Secrets Manager secret) Gatehouse runs on an embedded PGlite database in `DATA_DIR/pglite`.',
    },
    {
      url: optionalUrl('DATABASE_URL', {
        protocols: ['postgres:', 'postgresql:'],
        secret: true,
        defaultDoc: '_unset_ → embedded PGlite',
        doc: 'PostgreSQL server URL.',
      }),
      poolSize: int('DATABASE_POOL_SIZE', {
        default: 10,
        min: 1,
        max: 200,
        doc: 'PostgreSQL connections per process.',
      }),
    },
  ),
  dataDir: Type.Transform(
    text('DATA_DIR', {
      default: './data',
      section: 'database',
      doc: 'Directory of the embedded database, the embedded key file (`keys/`) and the mailbox (`mailbox/`).',
    }),
  )
    .Decode((dir) => path.resolve(dir))
    .Encode((dir) => dir),
  databaseSecret: section(
    {
      title: 'Database credentials from AWS Secrets Manager',
      doc: 'Read once at start, before validation; a missing or malformed secret is a config error naming `USER_SERVICE_SECRET_NAME`, never its content.',
    },
    {
      name: optionalText('USER_SERVICE_SECRET_NAME', {
        doc: 'Secret holding the database credentials JSON `{username,password,host,port,dbname}` (RDS format; `port` defaults to 5432); replaces `DATABASE_URL`.',
      }),
      region: optionalText('AWS_REGION', {
        aliases: ['AWS_DEFAULT_REGION'],
        doc: 'Region of that secret. Credentials come from the AWS SDK chain (IRSA, instance role, `AWS_*` variables).',
      }),
      sslMode: optionalOneOf(
        'DATABASE_SSLMODE',
        ['disable', 'no-verify', 'require', 'verify-full'],
        {
          errorMessage: 'must be one of disable, no-verify, require, verify-full',
          doc: 'The `sslmode` of the URL built from the secret (RDS with `rds.force_ssl` needs TLS).',
        },
      ),
    },
  ),
  tokens: section(
    { title: 'Tokens' },
    {
      issuer: text('JWT_ISSUER', {
        derivedDefault: (get) => get('PUBLIC_URL') as string,
        defaultDoc: '`PUBLIC_URL`',
        doc: '`iss` claim of access tokens.',
      }),
      audience: text('JWT_AUDIENCE', {
        default: 'gatehouse',
        doc: '`aud` claim of access tokens.',
      }),
      algorithm: oneOf('JWT_ALGORITHM', ['ES256', 'EdDSA', 'RS256', 'HS256'], {
        default: 'ES256',
        doc: 'Access-token signature (any case). Asymmetric keys are generated and kept in the database; `HS256` uses `JWT_SECRET_KEY`.',
      }),
      secretKey: optionalText('JWT_SECRET_KEY', {
        secret: true,
        doc: 'HMAC secret of `HS256`, at least 32 bytes; ignored by the other algorithms.',
      }),
      accessTokenTtlSeconds: int('ACCESS_TOKEN_EXPIRE_MINUTES', {
        default: 30,
        min: 1,
        max: 1440,
        scale: 60,
        aliases: ['JWT_EXPIRATION_MIN'],
        doc: 'Access-token lifetime in minutes.',
      }),
      refreshTokenTtlSeconds: int('REFRESH_TOKEN_EXPIRE_DAYS', {
        default: 7,
        min: 1,
        max: 365,
        scale: 86_400,
        doc: 'Lifetime of each refresh token in days; every refresh issues a new one.',
      }),
      sessionMaxLifetimeSeconds: int('SESSION_MAX_LIFETIME_DAYS', {
        default: 30,
        min: 1,
        max: 3650,
        scale: 86_400,
        doc: 'A session ends this many days after login, however often it is refreshed.',
      }),
      keyEncryptionKey: optionalText('KEY_ENCRYPTION_KEY', {
        secret: true,
        minLength: 32,
        errorMessage: 'must be at least 32 characters (use 32 random bytes, base64)',
        defaultDoc: '_unset_ → key file in `DATA_DIR` (embedded)',
        doc: 'Encrypts private signing keys at rest (AES-256-GCM, HKDF-derived). Use 32 random bytes, base64.',
      }),
    },
  ),
  passwords: section(
    { title: 'Passwords' },
    {
      minLength: int('PASSWORD_MIN_LENGTH', {
        default: 8,
        min: 8,
        max: 128,
        doc: 'Minimum password length in characters.',
      }),
      hashMemoryKib: int('PASSWORD_HASH_MEMORY_KIB', {
        default: 19_456,
        min: 8,
        max: 4_194_304,
        doc: 'argon2id memory cost in KiB. Changing a `PASSWORD_HASH_*` value is safe: hashes are upgraded at the next login.',
      }),
      hashIterations: int('PASSWORD_HASH_ITERATIONS', {
        default: 2,
        min: 1,
        max: 100,
        doc: 'argon2id time cost.',
      }),
      hashParallelism: int('PASSWORD_HASH_PARALLELISM', {
        default: 1,
        min: 1,
        max: 16,
        doc: 'argon2id lanes.',
      }),
      hashConcurrency: int('PASSWORD_HASH_CONCURRENCY', {
        default: 0,
        min: 0,
        max: 64,
        doc: 'Hashes computed at once, `0` = one per CPU core; further logins wait their turn.',
      }),
    },
  ),
  lifecycle: section(
    {
      title: 'Account lifecycle, mail and events',
      doc: 'With neither `SMTP_URL` nor `NOTIFICATION_SERVICE_URL`, mail is written to `DATA_DIR/mailbox/*.eml`; without `AMQP_URL` events go to an in-process bus and the log.',
    },
    {
      requireEmailVerification: bool('REQUIRE_EMAIL_VERIFICATION', {
        default: false,
        doc: 'Logging in to an unverified account answers `403 email_not_verified` (after a correct password); sign-ups must give an email.',
      }),
      codeTtlSeconds: int('VERIFICATION_CODE_TTL_MINUTES', {
        default: 15,
        min: 1,
        max: 1440,
        scale: 60,
        doc: 'Lifetime of verification, reset and email-change codes and links, in minutes.',
      }),
      mailRequestsPerHour: int('MAIL_REQUESTS_PER_HOUR', {
        default: 5,
        min: 1,
        max: 1000,
        doc: 'Verification and reset mails one address is sent per hour; further requests answer `202` and send nothing.',
      }),
      passwordResetUrl: url('PASSWORD_RESET_URL', {
        protocols: URL_HTTP,
        trimTrailingSlash: true,
        derivedDefault: (get) => `${String(get('PUBLIC_URL'))}/reset-password`,
        defaultDoc: '`PUBLIC_URL/reset-password`',
        doc: 'Page of the client app the reset mail links to with `?token=…`.',
      }),
      mail: group({
        from: text('MAIL_FROM', {
          // An address at the end, and no line break (it goes into a mail header).
          pattern: '^[^\\r\\n]*@[^@\\s>]+>?$',
          errorMessage: 'must be an address, e.g. "Gatehouse <no-reply@example.com>"',
          derivedDefault: (get) => `Gatehouse <no-reply@${hostOf(get('PUBLIC_URL'))}>`,
          defaultDoc: '`Gatehouse <no-reply@` host of `PUBLIC_URL` `>`',
          allowedDoc: 'mail address, with a name or not',
          doc: 'Sender of every mail.',
        }),
        smtpUrl: optionalUrl('SMTP_URL', {
          protocols: ['smtp:', 'smtps:'],
          secret: true,
          doc: '`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`.',
        }),
        notificationServiceUrl: optionalUrl('NOTIFICATION_SERVICE_URL', {
          protocols: URL_HTTP,
          doc: 'Instead of SMTP: the platform notification service, sent `POST /send {to, subject, message}`.',
        }),
      }),
      events: group({
        amqpUrl: optionalUrl('AMQP_URL', {
          protocols: ['amqp:', 'amqps:'],
          secret: true,
          defaultDoc: '_unset_ → in-process bus',
          doc: 'RabbitMQ URL the events are published to.',
        }),
        exchange: text('AMQP_EXCHANGE', {
          default: 'gatehouse.events',
          pattern: '^[A-Za-z0-9._:-]{1,255}$',
          errorMessage: 'must be 1-255 letters, digits, ".", "_", ":" or "-"',
          allowedDoc: '1–255 of `A-Z a-z 0-9 . _ : -`',
          doc: 'Durable topic exchange of the events (declared if missing).',
        }),
      }),
      outbox: group({
        maxAttempts: int('OUTBOX_MAX_ATTEMPTS', {
          default: 10,
          min: 1,
          max: 100,
          doc: 'Delivery attempts of an event or mail before it is parked as `failed`.',
        }),
        pollIntervalMs: int('OUTBOX_POLL_INTERVAL_MS', {
          default: 1000,
          min: 10,
          max: 60_000,
          doc: 'How often an idle worker looks for new outbox rows.',
        }),
        retryBaseMs: int('OUTBOX_RETRY_BASE_MS', {
          default: 2000,
          min: 1,
          max: 600_000,
          doc: 'First retry delay; it doubles with each attempt (half of it random), up to 15 minutes.',
        }),
        workerInProcess: oneOf('WORKER_IN_PROCESS', ['auto', 'true', 'false'], {
          default: 'auto',
          doc: 'Whether `serve` runs the outbox worker: `auto` = when embedded (no `DATABASE_URL` or no `AMQP_URL`).',
        }),
      }),
    },
  ),
  /**
   * The first admin: created (or promoted) at start-up when both are set and no active admin
   * exists yet. Never re-applied once an admin exists, so rotating the secret changes nothing.
   */
  bootstrapAdmin: section(
    {
      title: 'First admin',
      doc: 'Applied at start-up only while no active admin exists; `gatehouse admin create` is the other way.',
    },
    {
      email: optionalText('ADMIN_EMAIL', {
        format: 'email',
        doc: 'Email of the first admin, created (or promoted) at start-up. Needs `ADMIN_PASSWORD`.',
      }),
      password: optionalText('ADMIN_PASSWORD', {
        secret: true,
        doc: "The first admin's password; alone, the password `gatehouse admin create` uses.",
      }),
    },
  ),
  mfa: section(
    { title: 'Multi-factor authentication' },
    {
      issuer: text('MFA_ISSUER', {
        default: 'Gatehouse',
        doc: 'Issuer shown by authenticator apps (otpauth URL and QR code).',
      }),
      backupCodesCount: int('MFA_BACKUP_CODES_COUNT', {
        default: 10,
        min: 1,
        max: 50,
        doc: 'Backup codes issued when MFA is enabled or the codes are regenerated.',
      }),
    },
  ),
  log: section(
    { title: 'Logs' },
    {
      level: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        default: 'info',
        doc: 'JSON logs (pino); `Authorization` and cookies are redacted, query strings never logged.',
      }),
    },
  ),
  protection: section(
    {
      title: 'Security and limits',
      doc: 'Rate limits count in fixed windows; over a limit a request answers `429 rate_limited` with `Retry-After`.',
    },
    {
      maxFailedLogins: int('MAX_FAILED_LOGIN_ATTEMPTS', {
        default: 5,
        min: 1,
        max: 100,
        doc: 'Failed logins (or second-factor codes) for one identifier before it is locked.',
      }),
      lockoutSeconds: int('LOCKOUT_DURATION_MINUTES', {
        default: 30,
        min: 1,
        max: 10_080,
        scale: 60,
        doc: 'Minutes a locked identifier stays locked; also the window in which failures add up.',
      }),
      maxSessionsPerUser: int('MAX_SESSIONS_PER_USER', {
        default: 0,
        min: 0,
        max: 10_000,
        doc: 'Live sessions per account, `0` = no limit.',
      }),
      sessionLimitPolicy: oneOf('SESSION_LIMIT_POLICY', ['evict_oldest', 'deny'], {
        default: 'evict_oldest',
        doc: 'At the limit a login ends the oldest session, or is refused with `409`.',
      }),
      sessionIdleTimeoutSeconds: int('SESSION_IDLE_TIMEOUT_MINUTES', {
        default: 1440,
        min: 0,
        max: 525_600,
        scale: 60,
        doc: 'Minutes without login or refresh after which a session cannot be refreshed, `0` = off.',
      }),
      auditRetentionDays: int('AUDIT_RETENTION_DAYS', {
        default: 365,
        min: 0,
        max: 36_500,
        doc: 'Audit events older than this are deleted hourly, `0` = keep forever.',
      }),
      corsOrigins: list('CORS_ORIGINS', {
        pattern: '^(\\*|https?://[^/\\s]+)$',
        errorMessage: (origin) => `"${origin}" is not an origin like https://app.example.com`,
        defaultDoc: '_unset_ → none',
        allowedDoc: 'comma-separated origins, or `*`',
        doc: 'Origins allowed to call the API from a browser; `*` = any.',
      }),
      redisUrl: optionalUrl('REDIS_URL', {
        protocols: ['redis:', 'rediss:'],
        secret: true,
        defaultDoc: '_unset_ → in-process',
        doc: 'Redis holding the rate-limit counters shared by every replica.',
      }),
      redisKeyPrefix: text('REDIS_KEY_PREFIX', {
        default: 'gatehouse:',
        doc: 'Prefix of every Redis key, to share one Redis between deployments.',
      }),
      rateLimit: group({
        enabled: bool('RATE_LIMIT_ENABLED', {
          default: true,
          doc: '`false` turns every rate limit off (load tests).',
        }),
        rules: group({
          login: policy('login', 'Logins (`/auth/login`)', { ip: '30/1m', identifier: '10/1m' }),
          register: policy('register', 'Sign-ups (`/auth/register`)', {
            ip: '10/1h',
            identifier: '3/1h',
          }),
          refresh: policy('refresh', 'Refreshes (`/auth/refresh`)', {
            ip: '60/1m',
            identifier: '0',
          }),
          email: policy('email', 'Verification and reset mail requests', {
            ip: '10/1h',
            identifier: '3/1h',
          }),
          mfa: policy('mfa', 'Second-factor attempts', { ip: '30/5m', identifier: '10/5m' }),
        }),
      }),
    },
  ),
  telemetry: section(
    { title: 'Telemetry' },
    {
      /** The OTLP endpoint of traces; undefined → tracing off. */
      otlpEndpoint: Type.Transform(
        group({
          endpoint: optionalUrl('OTEL_EXPORTER_OTLP_ENDPOINT', {
            protocols: URL_HTTP,
            defaultDoc: '_unset_ → tracing off',
            doc: 'OpenTelemetry OTLP endpoint; the other standard `OTEL_*` variables apply.',
          }),
          tracesEndpoint: optionalUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', {
            protocols: URL_HTTP,
            doc: 'OTLP endpoint of traces; wins over `OTEL_EXPORTER_OTLP_ENDPOINT`.',
          }),
          sdkDisabled: bool('OTEL_SDK_DISABLED', {
            default: false,
            doc: '`true` turns tracing off whatever the endpoints say.',
          }),
        }),
      )
        .Decode((otel) => (otel.sdkDisabled ? undefined : (otel.tracesEndpoint ?? otel.endpoint)))
        .Encode((endpoint) => ({ endpoint, tracesEndpoint: undefined, sdkDisabled: false })),
      sentryDsn: optionalUrl('SENTRY_DSN', {
        protocols: URL_HTTP,
        secret: true,
        defaultDoc: '_unset_ → off',
        doc: 'Reports unexpected errors (5xx) to Sentry, without request data.',
      }),
      environment: text('SENTRY_ENVIRONMENT', {
        default: 'production',
        aliases: ['NODE_ENV'],
        doc: 'Environment named in Sentry reports.',
      }),
    },
  ),
  shutdown: section(
    { title: 'Shutdown' },
    {
      timeoutSeconds: int('SHUTDOWN_TIMEOUT_SECONDS', {
        default: 25,
        min: 1,
        max: 600,
        doc: 'After `SIGTERM`/`SIGINT`, in-flight work finishes within this, or the process exits 1.',
      }),
    },
  ),
});

const problem = (variable: string, message: string): Problem => ({ variable, message });

/** Rules spanning variables; they see the values in the variables' own units. */
const RULES: Rule<typeof CONFIG_SCHEMA>[] = [
  ({ tokens }) => [
    tokens.algorithm === 'HS256' &&
      tokens.secretKey === undefined &&
      problem('JWT_SECRET_KEY', 'is required when JWT_ALGORITHM=HS256'),
    tokens.algorithm === 'HS256' &&
      tokens.secretKey !== undefined &&
      Buffer.byteLength(tokens.secretKey) < 32 &&
      problem('JWT_SECRET_KEY', 'must be at least 32 bytes long for HS256'),
  ],
  // ADMIN_PASSWORD alone is a password source for `gatehouse admin create --email …`.
  ({ bootstrapAdmin }) => [
    bootstrapAdmin.email !== undefined &&
      bootstrapAdmin.password === undefined &&
      problem('ADMIN_EMAIL', 'needs ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) as well'),
  ],
  ({ lifecycle: { mail } }) => [
    mail.smtpUrl !== undefined &&
      mail.notificationServiceUrl !== undefined &&
      problem('NOTIFICATION_SERVICE_URL', 'set either SMTP_URL or NOTIFICATION_SERVICE_URL'),
  ],
  ({ database: { url }, databaseSecret: secret }) => [
    secret.name !== undefined &&
      url !== undefined &&
      problem(
        'USER_SERVICE_SECRET_NAME',
        'cannot be combined with DATABASE_URL or DATABASE_URL_FILE; set only one of them',
      ),
    secret.name !== undefined &&
      secret.region === undefined &&
      problem('AWS_REGION', 'is required with USER_SERVICE_SECRET_NAME'),
  ],
];

/**
 * Variables Gatehouse does not read itself but a deployment may need; listed in the reference
 * so it is complete.
 */
export const EXTERNAL_VARIABLES: readonly ExternalVariable[] = [
  {
    name: 'UV_THREADPOOL_SIZE',
    default: 'CPU cores (`npm start`)',
    doc: "Node's libuv pool, where argon2 runs; read by Node before Gatehouse starts, so `npm start` and the Helm chart set it.",
  },
  {
    name: 'OTEL_SERVICE_NAME',
    default: '`gatehouse`',
    doc: 'Service name of the traces; the other standard `OTEL_*` variables are read by the OpenTelemetry SDK.',
  },
  {
    name: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    default: '_unset_',
    doc: 'Points the Secrets Manager client at a VPC endpoint or a stand-in (`AWS_ENDPOINT_URL` too); AWS credentials come from the SDK chain.',
  },
  {
    name: 'NODE_EXTRA_CA_CERTS',
    default: '_unset_',
    doc: 'Extra CA bundle, e.g. the RDS one with `DATABASE_SSLMODE=verify-full`.',
  },
];

export const CONFIG = new EnvConfig(CONFIG_SCHEMA, RULES, {
  email: (value) => emailProblem(value) === undefined,
});

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Config = DeepReadonly<StaticDecode<typeof CONFIG_SCHEMA>>;
export type ProtectionConfig = Config['protection'];
export type LifecycleConfig = Config['lifecycle'];
export type SigningAlgorithm = Config['tokens']['algorithm'];
export type RateLimitPolicy = keyof Config['protection']['rateLimit']['rules'];
/** One limit per client IP and one per identifier; null = none. */
export type RateLimitPair = Config['protection']['rateLimit']['rules'][RateLimitPolicy];
/** `points` requests per `durationSeconds`. */
export type RateLimitRule = NonNullable<RateLimitPair['ip']>;

export { ConfigError } from './config/read.js';

/** Variables that may be given as `<NAME>_FILE` (mounted secrets), family instances included. */
export function fileSecretNames(env: Record<string, string | undefined> = {}): string[] {
  return CONFIG.secretNames(env);
}

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return deepFreeze(CONFIG.read(env) as Config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
