import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../request-context.js';

/** The client IP (honouring TRUST_PROXY via Fastify), user agent and request id. */
export function contextOf(request: FastifyRequest): RequestContext {
  const agent = request.headers['user-agent'];
  return {
    ip: request.ip ?? null,
    userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
    requestId: request.id,
  };
}
