import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../adapters/telemetry/metrics.js';

/**
 * Requests whose handlers are still running. `app.close()` returns once every connection has
 * closed, but a handler whose client hung up keeps running after that and would hit a closed
 * database pool: shutdown waits on this count before closing pools.
 */
export class InFlightRequests {
  private count = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  started(): void {
    this.count += 1;
  }

  finished(): void {
    this.count -= 1;
    if (this.count === 0) {
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves true once none is left, or false when `timeoutMs` passes first. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(wake);
    });
  }
}

/**
 * Counts each request from `onRequest` until its reply is sent (`onSend` runs even when the
 * client is gone; `onResponse` does not), records its duration by route template, and during
 * shutdown ends each connection with its response.
 */
export function installRequestTracking(
  app: FastifyInstance,
  deps: { metrics: Metrics; inFlight: InFlightRequests; isShuttingDown: () => boolean },
): void {
  const open = new WeakSet<FastifyRequest>();
  const done = (request: FastifyRequest) => {
    if (!open.delete(request)) return;
    deps.inFlight.finished();
    deps.metrics.httpRequestsInFlight.dec();
  };
  app.addHook('onRequest', async (request) => {
    open.add(request);
    deps.inFlight.started();
    deps.metrics.httpRequestsInFlight.inc();
  });
  app.addHook('onSend', async (request, reply) => {
    done(request);
    // A keep-alive connection would outlive shutdown by its idle timeout: close it instead.
    if (deps.isShuttingDown()) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    done(request);
    deps.metrics.httpRequestDuration.observe(
      {
        method: request.method,
        // The template (/users/:id), never the path: ids and tokens stay out of labels.
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
