import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { errors } from '../../errors.js';
import { principalOf } from '../../http/authenticate.js';
import { contextOf } from '../../http/request-context.js';
import { TokenPairSchema, bearerSecurity, problems } from '../../http/schemas.js';
import { toPublicUser, type AccountService } from '../account/service.js';
import {
  LoginBody,
  LoginResponse,
  RefreshBody,
  RegisterBody,
  RegisteredResponse,
  SignupBody,
  UserInfoResponse,
} from './schemas.js';
import type { AuthService } from './service.js';

/**
 * POST /auth/register      POST /auth/signup (alias)
 * POST /auth/login         POST /auth/signin (alias)
 * POST /auth/refresh
 * POST /auth/logout        POST /auth/logout-all
 * GET  /auth/userinfo
 */
export function authRoutes(deps: {
  auth: AuthService;
  accounts: AccountService;
  authenticate: preHandlerAsyncHookHandler;
}): FastifyPluginAsyncTypebox {
  const { auth, accounts, authenticate } = deps;
  const tags = ['auth'];

  return async (app) => {
    const registered = (reply: FastifyReply, user: Parameters<typeof toPublicUser>[0]) =>
      reply.code(201).send({ user: toPublicUser(user), message: 'Account created.' });

    app.post(
      '/auth/register',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags,
          summary: 'Create an account',
          body: RegisterBody,
          response: { 201: RegisteredResponse, ...problems(400, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const { email, username, password, full_name } = request.body;
        return registered(
          reply,
          await auth.register(
            { email, username, password, fullName: full_name },
            contextOf(request),
          ),
        );
      },
    );

    app.post(
      '/auth/signup',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags,
          summary: 'Create an account (seed-compatible alias of register)',
          body: SignupBody,
          response: { 201: RegisteredResponse, ...problems(400, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const { username, user_name, email, password, full_name } = request.body;
        const name = username ?? user_name;
        if (!name) throw errors.validationFailed([{ field: 'username', message: 'is required' }]);
        return registered(
          reply,
          await auth.register(
            { email, username: name, password, fullName: full_name },
            contextOf(request),
          ),
        );
      },
    );

    const loginSchema = {
      tags,
      body: LoginBody,
      consumes: ['application/json', 'application/x-www-form-urlencoded'],
      response: { 200: LoginResponse, ...problems(400, 401, 403, 409, 422, 423, 429) },
    };
    const login = async (
      request: FastifyRequest<{ Body: (typeof LoginBody)['static'] }>,
      reply: FastifyReply,
    ) => {
      const { identifier, email, username, password } = request.body;
      const who = identifier ?? email ?? username;
      if (!who) {
        throw errors.validationFailed([
          { field: 'identifier', message: 'an identifier, email or username is required' },
        ]);
      }
      const result = await auth.login(who, password, contextOf(request));
      reply.header('cache-control', 'no-store');
      if (result.kind === 'mfa_required') {
        return reply.send({
          mfa_required: true,
          challenge_token: result.challengeToken,
          methods: ['totp', 'backup_code'],
        });
      }
      return reply.send({ ...result.tokens, user: toPublicUser(result.user) });
    };
    app.post(
      '/auth/login',
      {
        config: { rateLimit: 'login' },
        schema: { ...loginSchema, summary: 'Log in with a password' },
      },
      login,
    );
    app.post(
      '/auth/signin',
      { config: { rateLimit: 'login' }, schema: { ...loginSchema, summary: 'Alias of login' } },
      login,
    );

    app.post(
      '/auth/refresh',
      {
        config: { rateLimit: 'refresh' },
        schema: {
          tags,
          summary: 'Exchange a refresh token for a new pair (the old one is spent)',
          body: RefreshBody,
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          response: { 200: TokenPairSchema, ...problems(400, 401, 422, 429) },
        },
      },
      async (request, reply) => {
        const { tokens } = await auth.refresh(request.body.refresh_token, contextOf(request));
        return reply.header('cache-control', 'no-store').send(tokens);
      },
    );

    app.post(
      '/auth/logout',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'End the current session',
          security: bearerSecurity,
          response: { 204: { type: 'null' }, ...problems(401) },
        },
      },
      async (request, reply) => {
        const { userId, sessionId } = principalOf(request);
        await auth.logout(userId, sessionId, contextOf(request));
        return reply.code(204).send();
      },
    );

    app.post(
      '/auth/logout-all',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'End every session of the account',
          security: bearerSecurity,
          response: { 204: { type: 'null' }, ...problems(401) },
        },
      },
      async (request, reply) => {
        await auth.logoutEverywhere(principalOf(request).userId, contextOf(request));
        return reply.code(204).send();
      },
    );

    app.get(
      '/auth/userinfo',
      {
        preHandler: authenticate,
        schema: {
          tags,
          summary: 'OpenID Connect style claims of the caller',
          security: bearerSecurity,
          response: { 200: UserInfoResponse, ...problems(401) },
        },
      },
      async (request) => {
        const user = await accounts.requireActive(principalOf(request).userId);
        return {
          sub: user.id,
          email: user.email,
          email_verified: user.emailVerifiedAt !== null,
          preferred_username: user.username,
          name: user.fullName,
          roles: await auth.rolesOf(user.id),
        };
      },
    );
  };
}
