import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { contextOf } from '../../http/request-context.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import { toPublicUser, type AccountService } from '../account/service.js';
import { LoggedInResponse } from '../auth/schemas.js';
import type { MfaService } from './service.js';

const Code = Type.String({ minLength: 1, maxLength: 32 });
const EndOtherSessions = Type.Optional(Type.Boolean({ default: false }));
const BackupCodes = Type.Object({ backup_codes: Type.Array(Type.String()) });

/**
 * POST /mfa/setup     POST /mfa/verify     POST /mfa/disable
 * GET  /mfa/backup-codes                   POST /mfa/backup-codes
 * POST /auth/login/mfa
 */
export function mfaRoutes(deps: {
  mfa: MfaService;
  accounts: AccountService;
  authenticate: preHandlerAsyncHookHandler;
}): FastifyPluginAsyncTypebox {
  const { mfa, accounts, authenticate } = deps;
  const tags = ['mfa'];
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  return async (app) => {
    app.post(
      '/mfa/setup',
      {
        preHandler: authenticate,
        config: { rateLimit: 'mfa' },
        schema: {
          tags,
          summary: 'Start TOTP enrolment (pending until verified)',
          security: bearerSecurity,
          response: {
            200: Type.Object({
              secret: Type.String(),
              otpauth_url: Type.String(),
              qr_code: Type.String(),
            }),
            ...problems(401, 409, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const user = await accounts.requireActive(principalOf(request).userId);
        const setup = await mfa.setup(user);
        return noStore(reply).send({
          secret: setup.secret,
          otpauth_url: setup.otpauthUrl,
          qr_code: setup.qrCode,
        });
      },
    );

    app.post(
      '/mfa/verify',
      {
        preHandler: authenticate,
        config: { rateLimit: 'mfa' },
        schema: {
          tags,
          summary: 'Enable MFA with a first code; returns the backup codes once',
          security: bearerSecurity,
          body: Type.Object({ code: Code, end_other_sessions: EndOtherSessions }),
          response: { 200: BackupCodes, ...problems(400, 401, 409, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const { userId, sessionId } = principalOf(request);
        const user = await accounts.requireActive(userId);
        const codes = await mfa.enable(
          user,
          request.body.code,
          sessionId,
          request.body.end_other_sessions ?? false,
          contextOf(request),
        );
        return noStore(reply).send({ backup_codes: codes });
      },
    );

    app.post(
      '/mfa/disable',
      {
        preHandler: authenticate,
        config: { rateLimit: 'mfa' },
        schema: {
          tags,
          summary: 'Turn MFA off (password and a TOTP or backup code)',
          security: bearerSecurity,
          body: Type.Object({
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            code: Code,
            end_other_sessions: EndOtherSessions,
          }),
          response: { 204: { type: 'null' }, ...problems(400, 401, 409, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const { userId, sessionId } = principalOf(request);
        const user = await accounts.requireActive(userId);
        const { password, code, end_other_sessions } = request.body;
        await mfa.disable(
          user,
          password,
          code,
          sessionId,
          end_other_sessions ?? false,
          contextOf(request),
        );
        return reply.code(204).send();
      },
    );

    app.get(
      '/mfa/backup-codes',
      {
        preHandler: authenticate,
        config: { rateLimit: 'mfa' },
        schema: {
          tags,
          summary: 'How many unused backup codes are left',
          security: bearerSecurity,
          response: { 200: Type.Object({ remaining: Type.Integer() }), ...problems(401, 409) },
        },
      },
      async (request) => ({
        remaining: await mfa.remainingBackupCodes(principalOf(request).userId),
      }),
    );

    app.post(
      '/mfa/backup-codes',
      {
        preHandler: authenticate,
        config: { rateLimit: 'mfa' },
        schema: {
          tags,
          summary: 'Replace the backup codes (a current TOTP code required)',
          security: bearerSecurity,
          body: Type.Object({ code: Code }),
          response: { 200: BackupCodes, ...problems(400, 401, 409, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const codes = await mfa.regenerateBackupCodes(
          principalOf(request).userId,
          request.body.code,
        );
        return noStore(reply).send({ backup_codes: codes });
      },
    );

    app.post(
      '/auth/login/mfa',
      {
        config: { rateLimit: 'mfa' },
        schema: {
          tags: ['auth', ...tags],
          summary: 'Finish a login with the challenge token and a TOTP or backup code',
          body: Type.Object({
            challenge_token: Type.String({ minLength: 1, maxLength: 256 }),
            code: Code,
          }),
          response: { 200: LoggedInResponse, ...problems(400, 401, 422, 423, 429, 503) },
        },
      },
      async (request, reply) => {
        const { user, tokens } = await mfa.completeLogin(
          request.body.challenge_token,
          request.body.code,
          contextOf(request),
        );
        return noStore(reply).send({ ...tokens, user: toPublicUser(user) });
      },
    );
  };
}
