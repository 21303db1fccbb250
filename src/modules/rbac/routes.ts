import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import type { Authorize } from '../../http/authorize.js';
import { contextOf } from '../../http/request-context.js';
import { bearerSecurity, problems } from '../../http/schemas.js';
import { PERMISSIONS } from './permissions.js';
import type { RoleWithPermissions } from './repository.js';
import type { Actor, RbacService } from './service.js';

const RoleName = Type.String({ minLength: 1, maxLength: 63 });
const PermissionList = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  maxItems: 100,
  description: 'Patterns `resource:action`; either part may be `*`, or `*` alone for everything',
});
const Description = Type.String({ maxLength: 500 });

const RoleSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  built_in: Type.Boolean(),
  permissions: Type.Array(Type.String()),
  members: Type.Integer({ description: 'Accounts holding the role' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
const UserRolesSchema = Type.Object({ roles: Type.Array(Type.String()) });
const RoleParams = Type.Object({ name: RoleName });
const UserParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

function toRoleBody(role: RoleWithPermissions) {
  return {
    name: role.name,
    description: role.description,
    built_in: role.builtIn,
    permissions: role.permissions,
    members: role.members,
    created_at: role.createdAt.toISOString(),
    updated_at: role.updatedAt.toISOString(),
  };
}

function actorOf(request: FastifyRequest): Actor {
  return { userId: principalOf(request).userId, context: contextOf(request) };
}

/**
 * GET    /permissions            the permissions Gatehouse's own routes check
 * GET    /roles                  every role with its permissions
 * POST   /roles                  create a custom role
 * GET    /roles/{name}
 * PUT    /roles/{name}           change description and/or permissions
 * DELETE /roles/{name}           only when no account holds it
 * GET    /users/{id}/roles
 * PUT    /users/{id}/roles       set exactly these roles
 */
export function roleRoutes(deps: {
  rbac: RbacService;
  authenticate: preHandlerAsyncHookHandler;
  authorize: Authorize;
}): FastifyPluginAsyncTypebox {
  const { rbac, authenticate, authorize } = deps;
  const tags = ['admin'];
  const canRead = [authenticate, authorize('roles:read')];
  const canWrite = [authenticate, authorize('roles:write')];

  return async (app) => {
    app.get(
      '/permissions',
      {
        preHandler: canRead,
        schema: {
          tags,
          summary: "The permissions Gatehouse's own routes check",
          security: bearerSecurity,
          response: {
            200: Type.Object({
              items: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
            }),
            ...problems(401, 403),
          },
        },
      },
      async () => ({
        items: Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description })),
      }),
    );

    app.get(
      '/roles',
      {
        preHandler: canRead,
        schema: {
          tags,
          summary: 'Every role with its permissions and member count',
          security: bearerSecurity,
          response: { 200: Type.Object({ items: Type.Array(RoleSchema) }), ...problems(401, 403) },
        },
      },
      async () => ({ items: (await rbac.listRoles()).map(toRoleBody) }),
    );

    app.post(
      '/roles',
      {
        preHandler: canWrite,
        schema: {
          tags,
          summary: 'Create a role (you can only grant permissions you hold)',
          security: bearerSecurity,
          body: Type.Object({
            name: RoleName,
            description: Type.Optional(Description),
            permissions: PermissionList,
          }),
          response: { 201: RoleSchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) => {
        const role = await rbac.createRole(actorOf(request), request.body);
        return reply.code(201).send(toRoleBody(role));
      },
    );

    app.get(
      '/roles/:name',
      {
        preHandler: canRead,
        schema: {
          tags,
          summary: 'One role',
          security: bearerSecurity,
          params: RoleParams,
          response: { 200: RoleSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => toRoleBody(await rbac.getRole(request.params.name)),
    );

    app.put(
      '/roles/:name',
      {
        preHandler: canWrite,
        schema: {
          tags,
          summary: "Change a role's description or permissions (admin's permissions are fixed)",
          security: bearerSecurity,
          params: RoleParams,
          body: Type.Object(
            {
              description: Type.Optional(Description),
              permissions: Type.Optional(PermissionList),
            },
            { minProperties: 1 },
          ),
          response: { 200: RoleSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) =>
        toRoleBody(await rbac.updateRole(actorOf(request), request.params.name, request.body)),
    );

    app.delete(
      '/roles/:name',
      {
        preHandler: canWrite,
        schema: {
          tags,
          summary: 'Delete a custom role that no account holds',
          security: bearerSecurity,
          params: RoleParams,
          response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        await rbac.deleteRole(actorOf(request), request.params.name);
        return reply.code(204).send();
      },
    );

    app.get(
      '/users/:id/roles',
      {
        preHandler: [authenticate, authorize('users:read')],
        schema: {
          tags,
          summary: "An account's roles",
          security: bearerSecurity,
          params: UserParams,
          response: { 200: UserRolesSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => ({ roles: await rbac.rolesOfExisting(request.params.id) }),
    );

    app.put(
      '/users/:id/roles',
      {
        preHandler: [authenticate, authorize('roles:assign')],
        schema: {
          tags,
          summary:
            'Set exactly these roles (only roles within your own permissions; never your own admin, never the last admin)',
          security: bearerSecurity,
          params: UserParams,
          body: UserRolesSchema,
          response: { 200: UserRolesSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => ({
        roles: await rbac.setUserRoles(actorOf(request), request.params.id, request.body.roles),
      }),
    );
  };
}
