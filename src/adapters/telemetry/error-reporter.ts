import type { ErrorEvent } from '@sentry/node';
import { redactQueryParams } from './redact.js';

/**
 * Where unexpected errors (the ones answered with a 5xx) are reported besides the log: Sentry
 * when `SENTRY_DSN` is set, nowhere otherwise. Reports carry the error, the request id, method
 * and route template; never headers, cookies, bodies, query strings or user data.
 */
export interface ErrorReporter {
  capture(error: unknown, context: { requestId: string; method: string; route: string }): void;
  /** Sends what is queued; called on shutdown. */
  flush(timeoutMs: number): Promise<void>;
}

export const noopErrorReporter: ErrorReporter = {
  capture() {},
  async flush() {},
};

export interface SentryOptions {
  dsn: string | undefined;
  environment: string;
  release: string;
}

/** Loads `@sentry/node` only when a DSN is configured, so start-up pays nothing otherwise. */
export async function createErrorReporter(options: SentryOptions): Promise<ErrorReporter> {
  if (!options.dsn) return noopErrorReporter;
  const Sentry = await import('@sentry/node');
  const client = Sentry.init({
    dsn: options.dsn,
    environment: options.environment,
    release: `gatehouse@${options.release}`,
    // Errors only: tracing is OpenTelemetry's job, and the default integrations would read
    // requests (headers, cookies, bodies) into events.
    defaultIntegrations: false,
    enableOpenTelemetrySetup: false,
    enableRuntimeChannelInjection: false,
    tracesSampleRate: undefined,
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
    },
    beforeSend: scrubEvent,
    beforeBreadcrumb: () => null,
  });
  return {
    capture(error, context) {
      Sentry.withScope((scope) => {
        scope.setTag('request_id', context.requestId);
        scope.setTag('route', context.route);
        scope.setTag('method', context.method);
        Sentry.captureException(error);
      });
    },
    async flush(timeoutMs) {
      await client?.flush(timeoutMs);
    },
  };
}

/**
 * Last line of defence: whatever an integration attached, no request data or user leaves, and
 * failed-query messages lose their bound values.
 */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  if (event.request) {
    event.request = { method: event.request.method, url: event.request.url?.split('?')[0] };
  }
  delete event.user;
  delete event.breadcrumbs;
  delete event.extra;
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = redactQueryParams(exception.value);
  }
  return event;
}
