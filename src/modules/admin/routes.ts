import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import type { Authorize } from '../../http/authorize.js';
import { contextOf } from '../../http/request-context.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import type { Actor } from '../rbac/service.js';
import { AdminUserSchema, toAdminUser } from './schemas.js';
import type { AdminService, UserWithRoles } from './service.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Username = Type.String({ minLength: 1, maxLength: 64 });
const FullName = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);
const UserParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const CreateUserBody = Type.Object(
  {
    email: Type.Optional(Email),
    username: Type.Optional(Username),
    full_name: Type.Optional(FullName),
    password: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'Omit to invite instead' }),
    ),
    email_verified: Type.Optional(Type.Boolean({ description: 'Vouch for the address' })),
    roles: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        maxItems: 50,
        description: 'Besides the default role `user`; only roles within your own permissions',
      }),
    ),
    send_invite: Type.Optional(
      Type.Boolean({
        description:
          'Without a password: mail a link and code (valid 7 days) that set it through POST /auth/password/reset',
      }),
    ),
  },
  { description: 'An email or a username is required' },
);

const UpdateUserBody = Type.Object(
  {
    email: Type.Optional(Email),
    username: Type.Optional(Username),
    full_name: Type.Optional(FullName),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    email_verified: Type.Optional(Type.Boolean()),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('disabled')], {
        description: '`disabled` ends every session; lock and unlock have their own routes',
      }),
    ),
  },
  { minProperties: 1 },
);

const UserDetailSchema = Type.Composite([
  AdminUserSchema,
  Type.Object({
    mfa_enabled: Type.Boolean(),
    active_sessions: Type.Integer({ description: 'Sessions that can still be refreshed' }),
  }),
]);

export function actorOf(request: FastifyRequest): Actor {
  return { userId: principalOf(request).userId, context: contextOf(request) };
}

function body({ user, roles }: UserWithRoles) {
  return toAdminUser(user, roles);
}

/**
 * POST   /users                   create an account (optionally mailing an invitation)
 * GET    /users/{id}              any account, deleted ones included
 * PATCH  /users/{id}              profile, email, verified flag, status active|disabled
 * DELETE /users/{id}              erase the account
 * POST   /users/{id}/lock         status locked, sessions ended
 * POST   /users/{id}/unlock       status active, failed-login lockout cleared
 * DELETE /users/{id}/sessions     end every session
 * DELETE /users/{id}/mfa          remove a lost second factor
 */
export function adminRoutes(deps: {
  admin: AdminService;
  authenticate: preHandlerAsyncHookHandler;
  authorize: Authorize;
}): FastifyPluginAsyncTypebox {
  const { admin, authenticate, authorize } = deps;
  const tags = ['admin'];
  const security = bearerSecurity;
  return async (app) => {
    app.post(
      '/users',
      {
        preHandler: [authenticate, authorize('users:write')],
        schema: {
          tags,
          summary: 'Create an account (registration rules; optional roles and invitation)',
          security,
          body: CreateUserBody,
          response: { 201: Type.Ref(AdminUserSchema), ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) => {
        const created = await admin.createUser(actorOf(request), request.body);
        return reply.code(201).send(body(created));
      },
    );

    app.get(
      '/users/:id',
      {
        preHandler: [authenticate, authorize('users:read')],
        schema: {
          tags,
          summary: 'One account with its roles, MFA state and live session count',
          description:
            'Deleted accounts are shown too, with status `deleted` and no personal data.',
          security,
          params: UserParams,
          response: { 200: UserDetailSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const detail = await admin.getUser(request.params.id);
        return {
          ...toAdminUser(detail.user, detail.roles),
          mfa_enabled: detail.mfaEnabled,
          active_sessions: detail.activeSessions,
        };
      },
    );

    app.patch(
      '/users/:id',
      {
        preHandler: [authenticate, authorize('users:write')],
        schema: {
          tags,
          summary: 'Change an account (a new email is unverified unless email_verified is true)',
          security,
          params: UserParams,
          body: UpdateUserBody,
          response: { 200: Type.Ref(AdminUserSchema), ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) =>
        body(await admin.updateUser(actorOf(request), request.params.id, request.body)),
    );

    app.delete(
      '/users/:id',
      {
        preHandler: [authenticate, authorize('users:delete')],
        schema: {
          tags,
          summary: 'Delete an account (personal data erased, sessions ended)',
          security,
          params: UserParams,
          response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        await admin.deleteUser(actorOf(request), request.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      '/users/:id/lock',
      {
        // The body is optional: none at all reads as `{}`.
        preValidation: async (request) => {
          request.body ??= {};
        },
        preHandler: [authenticate, authorize('users:lock')],
        schema: {
          tags,
          summary: 'Lock an account until unlocked (sessions end; login answers 423)',
          security,
          params: UserParams,
          body: Type.Object({
            reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          }),
          response: { 200: Type.Ref(AdminUserSchema), ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) =>
        body(await admin.lock(actorOf(request), request.params.id, request.body.reason)),
    );

    app.post(
      '/users/:id/unlock',
      {
        preHandler: [authenticate, authorize('users:lock')],
        schema: {
          tags,
          summary: 'Unlock an account and clear its failed-login lockout',
          security,
          params: UserParams,
          response: { 200: Type.Ref(AdminUserSchema), ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request) => body(await admin.unlock(actorOf(request), request.params.id)),
    );

    app.delete(
      '/users/:id/sessions',
      {
        preHandler: [authenticate, authorize('sessions:revoke')],
        schema: {
          tags,
          summary: 'End every session of an account (its refresh tokens stop working)',
          security,
          params: UserParams,
          response: {
            200: Type.Object({ revoked: Type.Array(Type.String({ format: 'uuid' })) }),
            ...problems(401, 403, 404, 422),
          },
        },
      },
      async (request) => ({
        revoked: await admin.endSessions(actorOf(request), request.params.id),
      }),
    );

    app.delete(
      '/users/:id/mfa',
      {
        preHandler: [authenticate, authorize('mfa:reset')],
        schema: {
          tags,
          summary: 'Remove a lost second factor and its backup codes (the owner is mailed)',
          security,
          params: UserParams,
          response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        await admin.resetMfa(actorOf(request), request.params.id);
        return reply.code(204).send();
      },
    );
  };
}
