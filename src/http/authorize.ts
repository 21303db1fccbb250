import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { errors } from '../errors.js';
import type { Permission } from '../modules/rbac/permissions.js';
import type { RbacService } from '../modules/rbac/service.js';
import { principalOf } from './authenticate.js';

export type Authorize = (permission: Permission) => preHandlerAsyncHookHandler;

/**
 * Permission guard, run after `authenticate`. Permissions are read from the database on each
 * call rather than from the token: a revoked role stops working at once, not when the access
 * token expires.
 */
export function createAuthorize(deps: { rbac: Pick<RbacService, 'can'> }): Authorize {
  return (permission) =>
    async function authorize(request: FastifyRequest) {
      const { userId } = principalOf(request);
      if (!(await deps.rbac.can(userId, permission))) {
        throw errors.forbidden(`This needs the "${permission}" permission.`);
      }
    };
}
