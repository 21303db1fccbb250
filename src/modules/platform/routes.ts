import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { TokenSigner } from '../../adapters/keys/index.js';
import type { Metrics } from '../../adapters/telemetry/metrics.js';

/**
 * One dependency `/ready` asks (database today; Redis and the broker add theirs to the list in
 * the composition root). Each answers within CHECK_TIMEOUT_MS or counts as down.
 */
export interface ReadinessCheck {
  name: string;
  /**
   * Throws when the dependency is down (→ 503). A `degraded` answer keeps the service ready:
   * it still serves, with less (e.g. per-process rate limits while Redis is away).
   */
  check(): Promise<void | { status: 'ok' | 'degraded'; detail?: string }>;
}

const CheckResult = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('error')]),
  error: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
});
const ReadyResponse = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Record(Type.String(), CheckResult),
});

/** A dependency that does not answer within this time counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * GET /health                            liveness: the process answers
 * GET /ready                             readiness: every dependency answers (degraded is ready)
 * GET /metrics                           Prometheus exposition
 * GET /.well-known/jwks.json             public keys for offline verification
 * GET /.well-known/openid-configuration  discovery document
 */
export function platformRoutes(deps: {
  signer: TokenSigner;
  metrics: Pick<Metrics, 'render'>;
  checks: ReadinessCheck[];
  issuer: string;
  publicUrl: string;
  isShuttingDown: () => boolean;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['platform'];
    app.get(
      '/health',
      {
        schema: {
          tags,
          summary: 'Liveness',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/ready',
      {
        schema: {
          tags,
          summary: 'Readiness of the service and each dependency',
          response: { 200: ReadyResponse, 503: ReadyResponse },
        },
      },
      async (_request, reply) => {
        const results = await Promise.all(
          deps.checks.map(async ({ name, check }) => {
            try {
              const answer = await withTimeout(check(), CHECK_TIMEOUT_MS);
              if (answer?.status === 'degraded') {
                return [name, { status: 'degraded' as const, detail: answer.detail }] as const;
              }
              return [name, { status: 'ok' as const }] as const;
            } catch (error) {
              return [name, { status: 'error' as const, error: describe(error) }] as const;
            }
          }),
        );
        const checks = Object.fromEntries(results);
        const ready = !deps.isShuttingDown() && results.every(([, r]) => r.status !== 'error');
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? ('ready' as const) : ('not_ready' as const), checks });
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags,
          summary: 'Prometheus metrics (text exposition format)',
          produces: ['text/plain'],
          response: { 200: Type.String() },
        },
      },
      async (_request, reply) => {
        const { contentType, body } = await deps.metrics.render();
        return reply.header('cache-control', 'no-store').type(contentType).send(body);
      },
    );

    app.get(
      '/.well-known/jwks.json',
      { schema: { tags, summary: 'JSON Web Key Set of the access-token signing keys' } },
      async (_request, reply) => {
        return reply.header('cache-control', 'public, max-age=300').send(await deps.signer.jwks());
      },
    );

    app.get(
      '/.well-known/openid-configuration',
      { schema: { tags, summary: 'Discovery document' } },
      async (_request, reply) => {
        const api = `${deps.publicUrl}/api/v1`;
        return reply.header('cache-control', 'public, max-age=300').send({
          issuer: deps.issuer,
          jwks_uri: `${deps.publicUrl}/.well-known/jwks.json`,
          token_endpoint: `${api}/auth/login`,
          userinfo_endpoint: `${api}/auth/userinfo`,
          grant_types_supported: ['password', 'refresh_token'],
          token_endpoint_auth_methods_supported: ['none'],
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [deps.signer.algorithm],
          claims_supported: [
            'iss',
            'aud',
            'sub',
            'exp',
            'iat',
            'jti',
            'sid',
            'email',
            'email_verified',
            'preferred_username',
            'name',
            'roles',
            'amr',
          ],
        });
      },
    );
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A short reason for the readiness body: no stack, no connection string. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
