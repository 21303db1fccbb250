import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import { AUDIT_PAGE_MAX, type AuditService } from './service.js';

const AuditEvent = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String(),
  occurred_at: Type.String({ format: 'date-time' }),
  outcome: Type.String(),
  actor_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

/**
 * GET /users/me/audit-events   your own security history, newest first
 */
export function auditRoutes(deps: {
  audit: AuditService;
  authenticate: preHandlerAsyncHookHandler;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/users/me/audit-events',
      {
        preHandler: deps.authenticate,
        schema: {
          tags: ['account'],
          summary: 'Your security history (logins, logouts, changes), newest first',
          security: bearerSecurity,
          querystring: Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX, default: 50 }),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(AuditEvent),
              next_cursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...problems(401, 422),
          },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const page = await deps.audit.listForUser(principalOf(request).userId, limit, cursor);
        return {
          items: page.items.map((e) => ({
            id: e.id,
            type: e.type,
            occurred_at: e.occurredAt.toISOString(),
            outcome: e.outcome,
            actor_id: e.actorUserId,
            ip: e.ip,
            user_agent: e.userAgent,
            request_id: e.requestId,
            detail: e.detail,
          })),
          next_cursor: page.nextCursor,
        };
      },
    );
  };
}
