import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Database } from './adapters/db/index.js';
import type { TokenSigner } from './adapters/keys/index.js';
import type { LimiterStore } from './adapters/limiter/index.js';
import { noopErrorReporter, type ErrorReporter } from './adapters/telemetry/error-reporter.js';
import { logTraceContext } from './adapters/telemetry/log-context.js';
import { createMetrics, type Metrics } from './adapters/telemetry/metrics.js';
import { serializeError } from './adapters/telemetry/redact.js';
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
import { accountRoutes } from './modules/account/routes.js';
import { verificationRoutes } from './modules/account/verification-routes.js';
import { auditRoutes } from './modules/audit/routes.js';
import { authRoutes } from './modules/auth/routes.js';
import { registerDocs } from './modules/platform/docs.js';
import { platformRoutes, type ReadinessCheck } from './modules/platform/routes.js';
import { sessionRoutes } from './modules/sessions/routes.js';
import { mfaRoutes } from './modules/mfa/routes.js';
import { roleRoutes } from './modules/rbac/routes.js';
import { adminAuditRoutes } from './modules/admin/audit-routes.js';
import { adminRoutes } from './modules/admin/routes.js';
import { AdminUserSchema } from './modules/admin/schemas.js';
import { directoryRoutes } from './modules/admin/directory-routes.js';
import type { Services } from './services.js';
import { VERSION } from './version.js';

export interface AppDependencies {
  config: Config;
  /** The service layer, composed before HTTP (`createServices`). */
  services: Services;
  signer: TokenSigner;
  /** Pinged by `/ready`. */
  database: Pick<Database, 'ping'>;
  limiter: LimiterStore;
  logger: FastifyServerOptions['logger'];
  isShuttingDown?: () => boolean;
  metrics?: Metrics;
  inFlight?: InFlightRequests;
  errorReporter?: ErrorReporter;
  /** More dependencies `/ready` asks besides the database (Redis, the broker…). */
  readinessChecks?: ReadinessCheck[];
}

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

/** The HTTP layer on top of the services: plugins, hooks and every module's routes. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, database, signer, limiter, services } = deps;
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

  const { accounts, rbac, sessions, lifecycle, auth, mfa, audit, admin, directory } = services;
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
  await app.register(directoryRoutes({ directory, authenticate, authorize }), {
    prefix: API_PREFIX,
  });
  await app.register(adminRoutes({ admin, authenticate, authorize }), { prefix: API_PREFIX });
  await app.register(adminAuditRoutes({ audit, authenticate, authorize }), { prefix: API_PREFIX });
  return app;
}
