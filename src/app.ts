import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Database } from './adapters/db/index.js';
import type { TokenSigner } from './adapters/keys/index.js';
import { noopErrorReporter, type ErrorReporter } from './adapters/telemetry/error-reporter.js';
import { logTraceContext } from './adapters/telemetry/log-context.js';
import { createMetrics, type Metrics } from './adapters/telemetry/metrics.js';
import { serializeError } from './adapters/telemetry/redact.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { errors } from './errors.js';
import { createAuthenticate } from './http/authenticate.js';
import { installErrorReporting } from './http/error-reporting.js';
import { installProblemHandlers } from './http/problem.js';
import { requestIdFor } from './http/request-id.js';
import { InFlightRequests, installRequestTracking } from './http/request-tracking.js';
import { ProblemSchema, UserSchema } from './http/schemas.js';
import { createValidatorCompiler, unstorableField } from './http/validation.js';
import { UserRepository } from './modules/account/repository.js';
import { accountRoutes } from './modules/account/routes.js';
import { AccountService } from './modules/account/service.js';
import type { PasswordHasher } from './modules/auth/password-hasher.js';
import { authRoutes } from './modules/auth/routes.js';
import { AuthService } from './modules/auth/service.js';
import { registerDocs } from './modules/platform/docs.js';
import { platformRoutes, type ReadinessCheck } from './modules/platform/routes.js';
import { SessionRepository } from './modules/sessions/repository.js';
import { SessionService } from './modules/sessions/service.js';
import { VERSION } from './version.js';

export interface AppDependencies {
  config: Config;
  database: Database;
  signer: TokenSigner;
  hasher: PasswordHasher;
  clock: Clock;
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

/** The composition root: wires repositories → services → routes from the given adapters. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, database, signer, hasher, clock } = deps;
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

  app.addSchema(ProblemSchema);
  app.addSchema(UserSchema);
  await registerDocs(app, { publicUrl: config.http.publicUrl, version: VERSION });

  const accounts = new AccountService({ users: new UserRepository(database), clock });
  const sessions = new SessionService({
    sessions: new SessionRepository(database),
    clock,
    settings: {
      refreshTokenTtlSeconds: config.tokens.refreshTokenTtlSeconds,
      maxLifetimeSeconds: config.tokens.sessionMaxLifetimeSeconds,
    },
  });
  const auth = new AuthService({
    accounts,
    sessions,
    signer,
    hasher,
    metrics,
    passwordMinLength: config.passwords.minLength,
  });
  const authenticate = createAuthenticate({ signer, sessions });

  await app.register(
    platformRoutes({
      signer,
      metrics,
      checks: [{ name: 'database', check: () => database.ping() }, ...(deps.readinessChecks ?? [])],
      issuer: config.tokens.issuer,
      publicUrl: config.http.publicUrl,
      isShuttingDown: deps.isShuttingDown ?? (() => false),
    }),
  );
  await app.register(authRoutes({ auth, accounts, authenticate }), { prefix: API_PREFIX });
  await app.register(accountRoutes({ accounts, authenticate }), { prefix: API_PREFIX });
  return app;
}
