import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { contextOf } from '../../http/request-context.js';
import { UserSchema, bearerSecurity, problems } from '../../http/schemas.js';
import type { AccountLifecycle } from './lifecycle.js';
import { toPublicUser, type AccountService } from './service.js';

const ProfilePatchBody = Type.Object(
  {
    full_name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { minProperties: 1 },
);

const Password = Type.String({ minLength: 1, maxLength: 1024 });
const PasswordChangeBody = Type.Object({ current_password: Password, new_password: Password });
const EmailChangeBody = Type.Object({
  new_email: Type.String({ format: 'email', maxLength: 254 }),
  password: Password,
});
const DeleteBody = Type.Object({ password: Password });

/**
 * GET    /users/me
 * PATCH  /users/me
 * DELETE /users/me
 * POST   /users/me/password
 * POST   /users/me/email
 */
export function accountRoutes(deps: {
  accounts: AccountService;
  lifecycle: AccountLifecycle;
  authenticate: preHandlerAsyncHookHandler;
}): FastifyPluginAsyncTypebox {
  const { accounts, lifecycle, authenticate } = deps;
  const tags = ['account'];
  return async (app) => {
    app.get(
      '/users/me',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'Your profile',
          security: bearerSecurity,
          response: { 200: Type.Ref(UserSchema), ...problems(401, 403) },
        },
      },
      async (request) => toPublicUser(await accounts.requireActive(principalOf(request).userId)),
    );

    app.patch(
      '/users/me',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'Update your profile',
          security: bearerSecurity,
          body: ProfilePatchBody,
          response: { 200: Type.Ref(UserSchema), ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request) => {
        const { userId } = principalOf(request);
        await accounts.requireActive(userId);
        return toPublicUser(await accounts.updateProfile(userId, request.body, contextOf(request)));
      },
    );

    app.delete(
      '/users/me',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary:
            'Delete your account (personal data erased, sessions ended); refused for the last active admin',
          security: bearerSecurity,
          body: DeleteBody,
          response: { 204: { type: 'null' }, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) => {
        const user = await accounts.requireActive(principalOf(request).userId);
        await lifecycle.deleteAccount(user, request.body.password, contextOf(request));
        return reply.code(204).send();
      },
    );

    app.post(
      '/users/me/password',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'Change your password (your other sessions end)',
          security: bearerSecurity,
          body: PasswordChangeBody,
          response: { 204: { type: 'null' }, ...problems(400, 401, 403, 422) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const user = await accounts.requireActive(principal.userId);
        const { current_password, new_password } = request.body;
        await lifecycle.changePassword(
          user,
          principal.sessionId,
          current_password,
          new_password,
          contextOf(request),
        );
        return reply.code(204).send();
      },
    );

    app.post(
      '/users/me/email',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary:
            'Change your email: a code goes to the new address, the switch happens on confirmation',
          security: bearerSecurity,
          body: EmailChangeBody,
          response: {
            202: Type.Object({ message: Type.String() }),
            ...problems(400, 401, 403, 422, 429),
          },
        },
      },
      async (request, reply) => {
        const user = await accounts.requireActive(principalOf(request).userId);
        await lifecycle.requestEmailChange(
          user,
          request.body.new_email,
          request.body.password,
          contextOf(request),
        );
        return reply.code(202).send({
          message:
            'A code and a link are on their way to the new address; confirm with ' +
            'POST /auth/verify-email/confirm to switch.',
        });
      },
    );
  };
}
