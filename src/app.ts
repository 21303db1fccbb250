import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Database } from './adapters/db/index.js';
import type { TokenSigner } from './adapters/keys/index.js';
import type { LimiterStore } from './adapters/limiter/index.js';
import { transactorFor } from './adapters/db/transaction.js';
import type { SealedBox } from './adapters/keys/index.js';
import { noopErrorReporter, type ErrorReporter } from './adapters/telemetry/error-reporter.js';
import { logTraceContext } from './adapters/telemetry/log-context.js';
import { createMetrics, type Metrics } from './adapters/telemetry/metrics.js';
import { serializeError } from './adapters/telemetry/redact.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { errors } from './errors.js';
import { createAuthenticate } from './http/authenticate.js';
import { createAuthorize } from './http/authorize.js';
import { installErrorReporting } from './http/error-reporting.js';
import { installProblemHandlers } from './http/problem.js';
import { installRateLimits } from './http/rate-limit.js';
import { requestIdFor } from './http/request-id.js';
import { installSecurityHeaders } from './http/security.js';
import { InFlightRequests, installRequestTracking } from './http/request-tracking.js';
import { ProblemSchema, UserSchema } from './http/schemas.js';
import { createValidatorCompiler, unstorableField } from './http/validation.js';
import { AccountLifecycle } from './modules/account/lifecycle.js';
import { UserRepository } from './modules/account/repository.js';
import { accountRoutes } from './modules/account/routes.js';
import { AccountService } from './modules/account/service.js';
import { verificationRoutes } from './modules/account/verification-routes.js';
import type { PasswordHasher } from './modules/auth/password-hasher.js';
import { AuditRepository } from './modules/audit/repository.js';
import { auditRoutes } from './modules/audit/routes.js';
import { AuditService } from './modules/audit/service.js';
import { authRoutes } from './modules/auth/routes.js';
import { AuthService } from './modules/auth/service.js';
import { LoginFailureRepository } from './modules/lockout/repository.js';
import { LockoutService } from './modules/lockout/service.js';
import { registerDocs } from './modules/platform/docs.js';
import { platformRoutes, type ReadinessCheck } from './modules/platform/routes.js';
import { SessionRepository } from './modules/sessions/repository.js';
import { sessionRoutes } from './modules/sessions/routes.js';
import { SessionService } from './modules/sessions/service.js';
import { Outbox } from './modules/events/outbox.js';
import { MfaRepository } from './modules/mfa/repository.js';
import { mfaRoutes } from './modules/mfa/routes.js';
import { MfaChallenges, MfaService } from './modules/mfa/service.js';
import { OutboxRepository } from './modules/events/repository.js';
import {
  MemoryAddressLimiter,
  type AddressLimiter,
} from './modules/verification/address-limiter.js';
import { OneTimeTokenRepository } from './modules/verification/repository.js';
import { OneTimeTokenService } from './modules/verification/service.js';
import { RoleRepository } from './modules/rbac/repository.js';
import { roleRoutes } from './modules/rbac/routes.js';
import { RbacService } from './modules/rbac/service.js';
import { adminAuditRoutes } from './modules/admin/audit-routes.js';
import { adminRoutes } from './modules/admin/routes.js';
import { AdminUserSchema } from './modules/admin/schemas.js';
import { AdminService } from './modules/admin/service.js';
import { VERSION } from './version.js';

export interface AppDependencies {
  config: Config;
  database: Database;
  signer: TokenSigner;
  hasher: PasswordHasher;
  clock: Clock;
  limiter: LimiterStore;
  logger: FastifyServerOptions['logger'];
  isShuttingDown?: () => boolean;
  /**
   * Seals mail content in the outbox and TOTP secrets (the key-encryption key); mail is plain
   * and MFA setup answers 503 when undefined.
   */
  box?: SealedBox;
  /** Per-address limit of verification and reset mails; in-memory by default. */
  mailLimiter?: AddressLimiter;
  metrics?: Metrics;
  inFlight?: InFlightRequests;
  errorReporter?: ErrorReporter;
  /** More dependencies `/ready` asks besides the database (Redis, the broker…). */
  readinessChecks?: ReadinessCheck[];
}

/** Verification and reset requests take at least this long, known address or not. */
export const UNIFORM_RESPONSE_MS = 150;

export const API_PREFIX = '/api/v1';

/** Log fields that must never be written, wherever they appear. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

export function loggerOptions(level: Config['log']['level']): FastifyServerOptions['logger'] {
  return {
    level,
    // trace_id/span_id of the active span (OpenTelemetry on) in every line.
    mixin: logTraceContext,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Failed-query errors carry bound values (emails, hashes): logged without them.
      err: serializeError,
      // Query strings can carry one-time tokens (email links): log the path only.
      req: (req: { method: string; url: string; ip?: string; id?: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
        ip: req.ip,
      }),
    },
  };
}

/** The composition root: wires repositories → services → routes from the given adapters. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, database, signer, hasher, clock, limiter } = deps;
  const protection = config.protection;
  const metrics = deps.metrics ?? createMetrics({ defaults: false });
  const app = Fastify({
    logger: deps.logger,
    trustProxy: config.http.trustProxy,
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: requestIdFor,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());
  installRequestTracking(app, {
    metrics,
    inFlight: deps.inFlight ?? new InFlightRequests(),
    isShuttingDown: deps.isShuttingDown ?? (() => false),
  });
  installProblemHandlers(app);
  installErrorReporting(app, deps.errorReporter ?? noopErrorReporter);
  app.decorateRequest('principal', null);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // An empty body declared as JSON (common on logout) is treated as no body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
  // Only JSON and the OAuth2 form are read: a text/plain body is a 415, not a string.
  app.removeContentTypeParser('text/plain');
  await app.register(formbody, { bodyLimit: config.http.bodyLimitBytes });
  // Text the database cannot store would otherwise fail there, as a 500.
  app.addHook('preValidation', async (request) => {
    const problem = unstorableField(request.body);
    if (problem) throw errors.validationFailed([problem]);
  });

  await installSecurityHeaders(app, { corsOrigins: protection.corsOrigins });
  installRateLimits(app, {
    enabled: protection.rateLimit.enabled,
    store: limiter,
    rules: protection.rateLimit.rules,
  });
  limiter.onStatusChange((health) => {
    if (health.status === 'ok') app.log.info({ limiter: limiter.kind }, health.detail);
    else app.log.warn({ limiter: limiter.kind }, health.detail);
  });

  app.addSchema(ProblemSchema);
  app.addSchema(UserSchema);
  app.addSchema(AdminUserSchema);
  await registerDocs(app, { publicUrl: config.http.publicUrl, version: VERSION });

  const audit = new AuditService({
    audit: new AuditRepository(database),
    clock,
    retentionDays: protection.auditRetentionDays,
    onError: (error) => app.log.error({ err: error }, 'audit event not recorded'),
  });
  const { lifecycle: lifecycleConfig } = config;
  const transaction = transactorFor(database.db);
  const outbox = new Outbox({ outbox: new OutboxRepository(database.db), clock, box: deps.box });
  const users = new UserRepository(database);
  const accounts: AccountService = new AccountService({
    users,
    clock,
    outbox,
    transaction,
    audit,
    onCreate: (tx, user): Promise<void> => rbac.grantDefaultRole(tx, user.id),
  });
  const rbac: RbacService = new RbacService({
    roles: new RoleRepository(database),
    accounts,
    audit,
    outbox,
    transaction,
    clock,
  });
  const sessions = new SessionService({
    sessions: new SessionRepository(database),
    clock,
    audit,
    outbox,
    transaction,
    settings: {
      refreshTokenTtlSeconds: config.tokens.refreshTokenTtlSeconds,
      maxLifetimeSeconds: config.tokens.sessionMaxLifetimeSeconds,
      idleTimeoutSeconds: protection.sessionIdleTimeoutSeconds,
      maxPerUser: protection.maxSessionsPerUser,
      limitPolicy: protection.sessionLimitPolicy,
    },
  });
  const lockout = new LockoutService({
    failures: new LoginFailureRepository(database),
    clock,
    settings: {
      maxFailures: protection.maxFailedLogins,
      lockoutSeconds: protection.lockoutSeconds,
    },
  });
  const oneTimeTokens = new OneTimeTokenRepository(database.db);
  const mfaFactors = new MfaRepository(database.db);
  const mailedTokens = new OneTimeTokenService({
    tokens: oneTimeTokens,
    clock,
    ttlSeconds: lifecycleConfig.codeTtlSeconds,
  });
  const lifecycle = new AccountLifecycle({
    users,
    tokens: mailedTokens,
    sessions,
    outbox,
    hasher,
    limiter:
      deps.mailLimiter ??
      new MemoryAddressLimiter({
        limit: lifecycleConfig.mailRequestsPerHour,
        windowMs: 3_600_000,
        clock,
      }),
    clock,
    transaction,
    audit,
    settings: {
      publicUrl: config.http.publicUrl,
      passwordResetUrl: lifecycleConfig.passwordResetUrl,
      codeTtlSeconds: lifecycleConfig.codeTtlSeconds,
      passwordMinLength: config.passwords.minLength,
      uniformResponseMs: UNIFORM_RESPONSE_MS,
    },
    // A deleted account keeps no MFA factor or backup code.
    onErase: (tx, userId): Promise<void> => mfa.forgetWithin(tx, userId),
  });
  const auth = new AuthService({
    accounts,
    lifecycle,
    sessions,
    signer,
    hasher,
    metrics,
    passwordMinLength: config.passwords.minLength,
    lockout,
    audit,
    requireEmailVerification: lifecycleConfig.requireEmailVerification,
    roles: rbac,
    secondFactor: new MfaChallenges({
      mfa: mfaFactors,
      tokens: oneTimeTokens,
      clock,
      db: database.db,
    }),
  });
  const mfa: MfaService = new MfaService({
    mfa: mfaFactors,
    tokens: oneTimeTokens,
    accounts,
    auth,
    sessions,
    hasher,
    outbox,
    audit,
    transaction,
    clock,
    metrics,
    box: deps.box,
    settings: config.mfa,
  });
  const admin = new AdminService({
    accounts,
    lifecycle,
    rbac,
    sessions,
    lockout,
    mfa,
    tokens: mailedTokens,
    hasher,
    outbox,
    audit,
    transaction,
    clock,
    passwordMinLength: config.passwords.minLength,
  });
  const authenticate = createAuthenticate({ signer, sessions });
  const authorize = createAuthorize({ rbac });

  await app.register(
    platformRoutes({
      signer,
      metrics,
      checks: [
        { name: 'database', check: () => database.ping() },
        ...(limiter.kind === 'redis' ? [{ name: 'redis', check: () => limiter.health() }] : []),
        ...(deps.readinessChecks ?? []),
      ],
      issuer: config.tokens.issuer,
      publicUrl: config.http.publicUrl,
      isShuttingDown: deps.isShuttingDown ?? (() => false),
    }),
  );
  await app.register(authRoutes({ auth, accounts, authenticate }), { prefix: API_PREFIX });
  await app.register(mfaRoutes({ mfa, accounts, authenticate }), { prefix: API_PREFIX });
  await app.register(sessionRoutes({ sessions, authenticate }), { prefix: API_PREFIX });
  await app.register(auditRoutes({ audit, authenticate }), { prefix: API_PREFIX });
  await app.register(accountRoutes({ accounts, lifecycle, authenticate }), { prefix: API_PREFIX });
  await app.register(verificationRoutes({ lifecycle }), { prefix: API_PREFIX });
  await app.register(roleRoutes({ rbac, authenticate, authorize }), { prefix: API_PREFIX });
  await app.register(adminRoutes({ admin, authenticate, authorize }), { prefix: API_PREFIX });
  await app.register(adminAuditRoutes({ audit, authenticate, authorize }), { prefix: API_PREFIX });
  return app;
}
