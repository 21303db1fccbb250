import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { AppError, PROBLEM_TYPE_BASE, errors } from '../errors.js';
import { toFieldErrors } from './validation.js';

/** RFC 9457 body; `code` is the stable machine-readable name of the problem. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  request_id: string;
  errors?: { field: string; message: string }[];
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  const body: ProblemBody = {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    instance: request.url.split('?')[0] ?? '/',
    request_id: request.id,
  };
  if (error.extra.errors) body.errors = error.extra.errors;
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) reply.header(name, value);
  // A string payload skips the route's response serializer: problem bodies keep every field.
  return reply
    .code(error.status)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify(body));
}

/** Maps anything thrown to an AppError; unknown errors become a logged 500 with no details. */
export function toAppError(error: FastifyError | Error): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return errors.validationFailed(
      toFieldErrors(fastifyError.validation as never, fastifyError.validationContext),
    );
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(undefined, { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(
        'Send application/json (or a form for the OAuth2 password login).',
        { cause: error },
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.badRequest('The request body is empty but declared as JSON.', { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.badRequest('The request body is not valid JSON.', { cause: error });
  }
  const status = fastifyError.statusCode;
  if (error instanceof SyntaxError && status === 400) {
    return errors.badRequest('The request body is not valid JSON.', { cause: error });
  }
  if (status === 413) return errors.payloadTooLarge(undefined, { cause: error });
  if (status === 415) return errors.unsupportedMediaType(undefined, { cause: error });
  if (status !== undefined && status >= 400 && status < 500) {
    return errors.badRequest('The request could not be processed.', { cause: error });
  }
  return errors.internal(undefined, { cause: error });
}

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Installs the one error handler and the 404/405 handler. A shadow router learns every route
 * as it is added, so an unknown method on a known path answers 405 with `Allow`.
 */
export function installProblemHandlers(app: FastifyInstance): void {
  const known = FindMyWay();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      try {
        known.on(method as HTTPMethod, route.url, () => undefined);
      } catch {
        // Same method and path registered twice (e.g. the automatic HEAD): already known.
      }
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else if (appError.extra.cause) {
      request.log.debug({ err: appError.extra.cause, code: appError.code }, 'request refused');
    }
    return sendProblem(request, reply, appError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((m) => m !== request.method && known.find(m, path));
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        request,
        reply,
        errors.methodNotAllowed(
          `${request.method} is not allowed here; use ${allowed.join(', ')}.`,
        ),
      );
    }
    return sendProblem(request, reply, errors.notFound(`No resource at ${path}.`));
  });
}
