import type { FastifyInstance } from 'fastify';
import type { ErrorReporter } from '../adapters/telemetry/error-reporter.js';
import { toAppError } from './problem.js';

/** Reports the errors that end in a 5xx (the unexpected ones), never the 4xx refusals. */
export function installErrorReporting(app: FastifyInstance, reporter: ErrorReporter): void {
  app.addHook('onError', async (request, _reply, error) => {
    if (toAppError(error).status < 500) return;
    reporter.capture(error, {
      requestId: request.id,
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
    });
  });
}
