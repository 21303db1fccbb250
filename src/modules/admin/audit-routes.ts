import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { Authorize } from '../../http/authorize.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import { AuditEventSchema, AuditPageQuery, toAuditEventBody } from '../audit/schemas.js';
import { parseTypeFilter, type AuditService } from '../audit/service.js';

const AdminAuditEvent = Type.Composite([
  AuditEventSchema,
  Type.Object({ subject_id: Type.Union([Type.String(), Type.Null()]) }),
]);

/**
 * GET /audit-events   every account's audit trail, newest first, filtered
 */
export function adminAuditRoutes(deps: {
  audit: AuditService;
  authenticate: preHandlerAsyncHookHandler;
  authorize: Authorize;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit-events',
      {
        preHandler: [deps.authenticate, deps.authorize('audit:read')],
        schema: {
          tags: ['admin'],
          summary: "Every account's audit events, newest first",
          security: bearerSecurity,
          querystring: Type.Object({
            user_id: Type.Optional(
              Type.String({ format: 'uuid', description: 'The account acted on' }),
            ),
            actor: Type.Optional(Type.String({ format: 'uuid', description: 'Who acted' })),
            type: Type.Optional(
              Type.String({
                maxLength: 100,
                description: 'An event type, or a prefix with `.*` (`auth.*`)',
              }),
            ),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
            until: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
            ...AuditPageQuery,
          }),
          response: {
            200: Type.Object({
              items: Type.Array(AdminAuditEvent),
              next_cursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...problems(401, 403, 422),
          },
        },
      },
      async (request) => {
        const { user_id, actor, type, since, until, limit, cursor } = request.query;
        const page = await deps.audit.list(
          {
            subjectUserId: user_id,
            actorUserId: actor,
            type: type === undefined ? undefined : parseTypeFilter(type),
            since: since === undefined ? undefined : new Date(since),
            until: until === undefined ? undefined : new Date(until),
          },
          limit,
          cursor,
        );
        return {
          items: page.items.map((event) => ({
            ...toAuditEventBody(event),
            subject_id: event.subjectUserId,
          })),
          next_cursor: page.nextCursor,
        };
      },
    );
  };
}
