/**
 * Drizzle wraps driver errors; node-postgres and PGlite both expose SQLSTATE `code` and the
 * `constraint` name. Returns the violated unique constraint, if that is what failed.
 */
export function uniqueViolation(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const candidate = e as { code?: unknown; constraint?: unknown };
    if (candidate.code === '23505') {
      return typeof candidate.constraint === 'string' ? candidate.constraint : 'unknown';
    }
  }
  return undefined;
}
