import { stdSerializers } from 'pino';

/**
 * Drizzle's "Failed query: … params: …" errors carry the bound values (emails, password hashes,
 * token hashes) in their message and stack. Everything that leaves the process — log lines,
 * Sentry events — goes through this first: the SQL stays, the values do not.
 */
export function redactQueryParams(text: string): string {
  return text.replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/g, '\nparams: [redacted]');
}

/** pino's error serializer, with bound query values removed and no `params` field. */
export function serializeError(error: Error): {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
} {
  const { params: _params, ...serialized } = stdSerializers.err(error) as ReturnType<
    typeof stdSerializers.err
  > & { params?: unknown };
  return {
    ...serialized,
    message: redactQueryParams(serialized.message),
    stack: redactQueryParams(serialized.stack),
  };
}
