import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import { AuditEventSchema, AuditPageQuery, toAuditEventBody } from './schemas.js';
import type { AuditService } from './service.js';

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
          querystring: Type.Object(AuditPageQuery),
          response: {
            200: Type.Object({
              items: Type.Array(AuditEventSchema),
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
          items: page.items.map(toAuditEventBody),
          next_cursor: page.nextCursor,
        };
      },
    );
  };
}
