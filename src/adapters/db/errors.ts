/** SQLSTATE of the first error in the `cause` chain that has one. */
function sqlState(error: unknown): { code: string; constraint?: string } | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const candidate = e as { code?: unknown; constraint?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return {
        code: candidate.code,
        constraint: typeof candidate.constraint === 'string' ? candidate.constraint : undefined,
      };
    }
  }
  return undefined;
}

/**
 * Drizzle wraps driver errors; node-postgres and PGlite both expose SQLSTATE `code` and the
 * `constraint` name. Returns the violated unique constraint, if that is what failed.
 */
export function uniqueViolation(error: unknown): string | undefined {
  const state = sqlState(error);
  return state?.code === '23505' ? (state.constraint ?? 'unknown') : undefined;
}

/** Whether a foreign key refused the change (a row still referenced, or a missing parent). */
export function foreignKeyViolation(error: unknown): boolean {
  return sqlState(error)?.code === '23503';
}
