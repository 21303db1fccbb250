import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which set of security headers the route sends; `default` when unset. */
    securityHeaders?: SecurityHeaderSet;
  }
}

export type SecurityHeaderSet = 'default' | 'redoc';

/**
 * Security headers for every response. The CSP allows only this origin's scripts, so the
 * locally served Swagger UI (/docs) works as is; /redoc widens it on its own route (see docs.ts).
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  upgradeInsecureRequests: null,
};

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: CSP_DIRECTIVES },
  // Other origins' pages may not embed our resources, but API clients are not browsers.
  crossOriginEmbedderPolicy: false,
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
};

/** Redoc compiles schemas at run time (ajv: `new Function`) and searches in a blob: worker. */
const REDOC_OPTIONS: HelmetOptions = {
  ...HELMET_OPTIONS,
  contentSecurityPolicy: {
    directives: { ...CSP_DIRECTIVES, scriptSrc: ["'self'", "'unsafe-eval'"] },
  },
};

/**
 * The headers helmet sets for `options`, computed once. Helmet's headers do not depend on the
 * request, and building them per request (as @fastify/helmet does) cost a tenth of the CPU of
 * a cheap authenticated GET.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) throw error;
    },
  );
  return headers;
}

export async function installSecurityHeaders(
  app: FastifyInstance,
  options: { corsOrigins: readonly string[] },
): Promise<void> {
  const sets: Record<SecurityHeaderSet, Record<string, string>> = {
    default: helmetHeaders(HELMET_OPTIONS),
    redoc: helmetHeaders(REDOC_OPTIONS),
  };
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(sets[request.routeOptions.config?.securityHeaders ?? 'default']);
    done();
  });
  // No CORS_ORIGINS: no cross-origin access at all (the plugin is not even installed).
  if (options.corsOrigins.length === 0) return;
  const anyOrigin = options.corsOrigins.includes('*');
  await app.register(cors, {
    origin: anyOrigin ? '*' : [...options.corsOrigins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    exposedHeaders: [
      'x-request-id',
      'retry-after',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'www-authenticate',
    ],
    // Bearer tokens, never cookies: credentials stay off.
    credentials: false,
    maxAge: 600,
  });
}
