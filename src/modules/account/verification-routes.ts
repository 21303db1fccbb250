import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { escapeHtml } from '../../adapters/mail/templates.js';
import { errors } from '../../errors.js';
import { contextOf } from '../../http/request-context.js';
import { problems } from '../../http/schemas.js';
import type { Proof } from '../verification/service.js';
import type { AccountLifecycle, ConfirmResult } from './lifecycle.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Code = Type.String({ pattern: '^[0-9]{6}$', description: 'The six digits from the mail' });
const LinkToken = Type.String({ minLength: 1, maxLength: 128 });
const NewPassword = Type.String({ minLength: 1, maxLength: 1024 });

const EmailBody = Type.Object({ email: Email });
const ProofFields = {
  token: Type.Optional(LinkToken),
  email: Type.Optional(Email),
  code: Type.Optional(Code),
};
const ConfirmBody = Type.Object(ProofFields, {
  description: 'Either `token` (from the link) or `email` and `code`.',
});
const ResetBody = Type.Object(
  { ...ProofFields, new_password: NewPassword },
  { description: 'Either `token` (from the link) or `email` and `code`, and the new password.' },
);
const Accepted = Type.Object({ message: Type.String() });
const Confirmed = Type.Object({
  message: Type.String(),
  email: Type.String(),
  email_verified: Type.Literal(true),
});

const ACCEPTED_MESSAGE =
  'If an account uses this address, a mail with a code and a link is on its way.';

/** `{token}` or `{email, code}`, never a mix. */
function proofOf(body: { token?: string; email?: string; code?: string }): Proof {
  if (body.token !== undefined && body.email === undefined && body.code === undefined) {
    return { token: body.token };
  }
  if (body.token === undefined && body.email !== undefined && body.code !== undefined) {
    return { email: body.email, code: body.code };
  }
  throw errors.validationFailed([
    { field: 'token', message: 'send either token, or email and code' },
  ]);
}

function confirmedBody(result: ConfirmResult) {
  return {
    message:
      result.kind === 'email_changed'
        ? 'Your email address was changed.'
        : 'Your email address is verified.',
    email: result.email,
    email_verified: true as const,
  };
}

/**
 * POST /auth/verify-email/request
 * POST /auth/verify-email/confirm
 * GET  /auth/verify-email?token=      (the link in the mail)
 * POST /auth/password/forgot
 * POST /auth/password/reset
 */
export function verificationRoutes(deps: {
  lifecycle: AccountLifecycle;
}): FastifyPluginAsyncTypebox {
  const { lifecycle } = deps;
  const tags = ['account recovery'];
  return async (app) => {
    app.post(
      '/auth/verify-email/request',
      {
        config: { rateLimit: 'email' },
        schema: {
          tags,
          summary: 'Send a new verification mail (202 whether or not the address is known)',
          body: EmailBody,
          response: { 202: Accepted, ...problems(400, 422) },
        },
      },
      async (request, reply) => {
        await lifecycle.requestVerification(request.body.email);
        return reply.code(202).send({ message: ACCEPTED_MESSAGE });
      },
    );

    app.post(
      '/auth/verify-email/confirm',
      {
        config: { rateLimit: 'email' },
        schema: {
          tags,
          summary: 'Confirm an address (verification or email change) with the token or the code',
          body: ConfirmBody,
          response: { 200: Confirmed, ...problems(400, 409, 422) },
        },
      },
      async (request) =>
        confirmedBody(await lifecycle.confirmEmail(proofOf(request.body), contextOf(request))),
    );

    app.get(
      '/auth/verify-email',
      {
        config: { rateLimit: 'email' },
        schema: {
          tags,
          summary: 'The link in the mail: confirms the address',
          querystring: Type.Object({ token: LinkToken }),
          produces: ['application/json', 'text/html'],
          response: { 200: Confirmed, ...problems(400, 409, 422) },
        },
      },
      async (request, reply) => {
        const body = confirmedBody(
          await lifecycle.confirmEmail({ token: request.query.token }, contextOf(request)),
        );
        reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
        // A browser following the link gets a page; API clients get JSON.
        const accept = request.headers.accept ?? '';
        if (accept.includes('text/html') && !accept.includes('application/json')) {
          const page =
            `<!doctype html><html><head><meta charset="utf-8"><title>Gatehouse</title></head>` +
            `<body><p>${escapeHtml(body.message)}</p></body></html>`;
          // A string is sent as is, past the JSON serializer.
          return reply.type('text/html; charset=utf-8').send(page as never);
        }
        return body;
      },
    );

    app.post(
      '/auth/password/forgot',
      {
        config: { rateLimit: 'email' },
        schema: {
          tags,
          summary: 'Mail a reset code and link (202 whether or not the address is known)',
          body: EmailBody,
          response: { 202: Accepted, ...problems(400, 422) },
        },
      },
      async (request, reply) => {
        await lifecycle.forgotPassword(request.body.email, contextOf(request));
        return reply.code(202).send({ message: ACCEPTED_MESSAGE });
      },
    );

    app.post(
      '/auth/password/reset',
      {
        config: { rateLimit: 'email' },
        schema: {
          tags,
          summary: 'Set a new password with the reset token or code; every session ends',
          body: ResetBody,
          response: { 204: { type: 'null' }, ...problems(400, 422) },
        },
      },
      async (request, reply) => {
        await lifecycle.resetPassword(
          proofOf(request.body),
          request.body.new_password,
          contextOf(request),
        );
        return reply.code(204).send();
      },
    );
  };
}
