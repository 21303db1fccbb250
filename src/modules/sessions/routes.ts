import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { errors } from '../../errors.js';
import { principalOf } from '../../http/authenticate.js';
import { contextOf } from '../../http/request-context.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import type { SessionService } from './service.js';

const SessionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created_at: Type.String({ format: 'date-time' }),
  last_seen_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'The session of the access token making this request' }),
});

/**
 * GET    /users/me/sessions        your active sessions
 * DELETE /users/me/sessions/{id}   end one of them (and its refresh tokens)
 * DELETE /users/me/sessions        end all but the current one
 */
export function sessionRoutes(deps: {
  sessions: SessionService;
  authenticate: preHandlerAsyncHookHandler;
}): FastifyPluginAsyncTypebox {
  const { sessions, authenticate } = deps;
  const tags = ['account'];

  return async (app) => {
    app.get(
      '/users/me/sessions',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'Your active sessions, newest first',
          security: bearerSecurity,
          response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), ...problems(401) },
        },
      },
      async (request) => {
        const { userId, sessionId } = principalOf(request);
        const views = await sessions.list(userId, sessionId);
        return {
          items: views.map(({ session, current }) => ({
            id: session.id,
            created_at: session.createdAt.toISOString(),
            last_seen_at: session.lastSeenAt.toISOString(),
            expires_at: session.expiresAt.toISOString(),
            ip: session.ip,
            user_agent: session.userAgent,
            current,
          })),
        };
      },
    );

    app.delete(
      '/users/me/sessions/:id',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'End one of your sessions; its refresh tokens stop working at once',
          security: bearerSecurity,
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: { 204: { type: 'null' }, ...problems(401, 404, 422) },
        },
      },
      async (request, reply) => {
        const { userId } = principalOf(request);
        const { id } = request.params;
        // Someone else's session and no session look the same: 404.
        if (!(await sessions.revokeOwn(userId, id, contextOf(request)))) {
          throw errors.notFound('No active session with this id.');
        }
        return reply.code(204).send();
      },
    );

    app.delete(
      '/users/me/sessions',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'End every session but the current one',
          security: bearerSecurity,
          response: { 204: { type: 'null' }, ...problems(401) },
        },
      },
      async (request, reply) => {
        const { userId, sessionId } = principalOf(request);
        await sessions.revokeOthers(userId, sessionId, contextOf(request));
        return reply.code(204).send();
      },
    );
  };
}
