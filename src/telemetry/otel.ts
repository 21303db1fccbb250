import { register } from 'node:module';
import type { Config } from '../config.js';

/**
 * OpenTelemetry tracing, on only when an OTLP endpoint is configured (the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; every other `OTEL_*`
 * variable — protocol, headers, service name, sampler, resource attributes — is read by the SDK
 * itself).
 *
 * Instrumentation patches modules as they load, so this must run before anything imports
 * http, fastify, pg, ioredis or amqplib: `src/main.ts` imports only configuration statically,
 * calls this, and loads the rest of the application with dynamic `import()` afterwards. With
 * tracing off nothing is loaded here, so start-up pays nothing.
 */
export interface Tracing {
  /** Flushes pending spans; called last on shutdown. */
  shutdown(): Promise<void>;
}

const off: Tracing = { async shutdown() {} };

export async function startTracing(config: Config): Promise<Tracing> {
  if (!config.telemetry.otlpEndpoint) return off;
  // ESM modules are instrumented through this loader hook; CommonJS ones through require hooks.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [
    { NodeSDK },
    { HttpInstrumentation },
    { FastifyOtelInstrumentation },
    { PgInstrumentation },
    { IORedisInstrumentation },
    { AmqplibInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@fastify/otel'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-amqplib'),
  ]);
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'gatehouse',
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes would drown the traces that matter.
        ignoreIncomingRequestHook: (request) =>
          ['/health', '/ready', '/metrics'].includes(request.url?.split('?')[0] ?? ''),
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        // Hook spans are named after their plugin, which for an anonymous plugin is its whole
        // source text: keep short names only.
        lifecycleHook(span, { hookName, handler }) {
          const name = `${hookName} - ${shortName(handler)}`;
          span.updateName(name);
          span.setAttribute('hook.name', name);
        },
      }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new IORedisInstrumentation(),
      new AmqplibInstrumentation(),
    ],
  });
  sdk.start();
  return {
    async shutdown() {
      await sdk.shutdown();
    },
  };
}

function shortName(handler: string | undefined): string {
  return handler && /^[\w@/.:-]{1,80}$/.test(handler) ? handler : 'anonymous';
}
