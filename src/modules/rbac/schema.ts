import { boolean, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from '../../adapters/db/columns.js';
import { userReference } from '../account/schema.js';

/**
 * Roles: named sets of permissions (`resource:action`, `*` wildcards). `built_in` roles
 * (`user`, `admin`) are seeded by the migration and cannot be deleted.
 */
export const roles = pgTable('roles', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  builtIn: boolean('built_in').notNull().default(false),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

export const rolePermissions = pgTable(
  'role_permissions',
  {
    roleName: text('role_name')
      .notNull()
      .references(() => roles.name, { onDelete: 'cascade' }),
    permission: text('permission').notNull(),
  },
  (t) => [primaryKey({ name: 'role_permissions_pkey', columns: [t.roleName, t.permission] })],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: userReference(),
    /** No cascade: a role still held by someone cannot be deleted by accident. */
    roleName: text('role_name')
      .notNull()
      .references(() => roles.name),
    assignedAt: timestamptz('assigned_at').notNull().defaultNow(),
    /** The admin who assigned it; null for the default role and the CLI. */
    assignedBy: uuid('assigned_by'),
  },
  (t) => [
    primaryKey({ name: 'user_roles_pkey', columns: [t.userId, t.roleName] }),
    // "Who holds role X" (the admin list's role filter, last-admin checks).
    index('user_roles_role_user_idx').on(t.roleName, t.userId),
  ],
);
