import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { contextOf } from '../../http/request-context.js';
import { UserSchema, bearerSecurity, problems } from '../../http/schemas.js';
import { toPublicUser, type AccountService } from './service.js';

const ProfilePatchBody = Type.Object(
  {
    full_name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { minProperties: 1 },
);

/**
 * GET   /users/me
 * PATCH /users/me
 */
export function accountRoutes(deps: {
  accounts: AccountService;
  authenticate: preHandlerAsyncHookHandler;
}): FastifyPluginAsyncTypebox {
  const { accounts, authenticate } = deps;
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
  };
}
