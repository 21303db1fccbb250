import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { USER_STATUSES, type UserStatus } from '../account/service.js';
import { errors } from '../../errors.js';
import type { Authorize } from '../../http/authorize.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import { AdminUserSchema, toAdminUser } from './schemas.js';
import {
  DIRECTORY_PAGE_MAX,
  SEARCH_MAX_LENGTH,
  type DirectoryFilter,
  type UserDirectory,
} from './user-directory.js';

const DirectoryQuery = Type.Object({
  q: Type.Optional(
    Type.String({
      // Checked again after trimming; NUL cannot reach PostgreSQL text.
      maxLength: SEARCH_MAX_LENGTH,
      pattern: '^[^\\x00]*$',
      description:
        'Case-insensitive prefix of the email, the username, the full name or the name from its second word on (1–100 characters)',
    }),
  ),
  role: Type.Optional(
    Type.String({
      pattern: '^[a-z][a-z0-9_.-]{0,62}$',
      description: 'Accounts holding this role',
    }),
  ),
  status: Type.Optional(
    Type.Unsafe<UserStatus>({
      type: 'string',
      enum: [...USER_STATUSES],
      description: 'Exactly this status; every status but `deleted` when absent',
    }),
  ),
  verified: Type.Optional(Type.Boolean({ description: 'Whether the email address is verified' })),
  created_after: Type.Optional(
    Type.String({ format: 'date-time', description: 'Created at or after this instant' }),
  ),
  created_before: Type.Optional(
    Type.String({ format: 'date-time', description: 'Created before this instant' }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: DIRECTORY_PAGE_MAX, default: 50 }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: '`next_cursor` of the page before' }),
  ),
});

/** A format-valid date-time JS cannot represent (a leap second, year 0) is a 422, not a 500. */
function instant(field: string, text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw errors.validationFailed([{ field, message: 'must be a valid date-time' }]);
  }
  return date;
}

/**
 * GET /users   the admin user directory: search, filters, newest first, keyset pages
 */
export function directoryRoutes(deps: {
  directory: UserDirectory;
  authenticate: preHandlerAsyncHookHandler;
  authorize: Authorize;
}): FastifyPluginAsyncTypebox {
  const { directory, authenticate, authorize } = deps;
  return async (app) => {
    app.get(
      '/users',
      {
        preHandler: [authenticate, authorize('users:read')],
        schema: {
          tags: ['admin'],
          summary: 'List accounts, newest first, with search and filters',
          description:
            'Pages are keyset-based: follow `next_cursor` (null on the last page). Rows created while paging never make an existing row repeat or go missing.',
          security: bearerSecurity,
          querystring: DirectoryQuery,
          response: {
            200: Type.Object({
              items: Type.Array(Type.Ref(AdminUserSchema)),
              next_cursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...problems(401, 403, 422),
          },
        },
      },
      async (request) => {
        const { q, role, status, verified, created_after, created_before, limit, cursor } =
          request.query;
        const filter: DirectoryFilter = { role, status, verified };
        if (q !== undefined) {
          const trimmed = q.trim();
          if (trimmed === '') {
            throw errors.validationFailed([{ field: 'q', message: 'must not be empty' }]);
          }
          filter.q = trimmed;
        }
        if (created_after !== undefined) {
          filter.createdAfter = instant('created_after', created_after);
        }
        if (created_before !== undefined) {
          filter.createdBefore = instant('created_before', created_before);
        }
        const page = await directory.list(filter, limit, cursor);
        return {
          items: page.items.map((entry) => toAdminUser(entry.user, entry.roles)),
          next_cursor: page.nextCursor,
        };
      },
    );
  };
}
