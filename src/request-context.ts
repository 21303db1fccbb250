/**
 * What services may know about the request that caused them to act: enough for sessions and
 * the audit log, never the FastifyRequest itself. Built by `http/request-context.ts`.
 */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** For work no request caused (jobs, the CLI). */
export const NO_REQUEST: RequestContext = { ip: null, userAgent: null, requestId: null };
