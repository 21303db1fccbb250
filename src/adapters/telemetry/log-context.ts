import { trace } from '@opentelemetry/api';

/**
 * A pino mixin: the ids of the active OpenTelemetry span, so log lines join their trace. With
 * tracing off there is no active span and nothing is added. (`request_id` comes from Fastify's
 * per-request logger.)
 */
export function logTraceContext(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}
