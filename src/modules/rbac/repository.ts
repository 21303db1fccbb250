import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database, Db, Executor } from '../../adapters/db/index.js';
import { statementChunks } from '../../adapters/db/raw.js';
import { rolePermissions, roles, userRoles } from './schema.js';

export type RoleRow = typeof roles.$inferSelect;

export interface RoleWithPermissions extends RoleRow {
  permissions: string[];
  /** Accounts holding the role (an erased account holds none). */
  members: number;
}

/** Role names of one account: asked on every login and refresh (the `roles` claim). */
const ROLES_OF = `SELECT role_name AS "name" FROM user_roles WHERE user_id = $1 ORDER BY role_name`;

/** Permission patterns of one account, through its roles: asked by every admin route guard. */
const PERMISSIONS_OF = `
SELECT DISTINCT rp.permission AS "permission"
FROM user_roles ur JOIN role_permissions rp ON rp.role_name = ur.role_name
WHERE ur.user_id = $1`;

/**
 * The only code touching `roles`, `role_permissions` and `user_roles` (the admin directory
 * reads `user_roles` too; see its comment).
 */
export class RoleRepository {
  private readonly db: Db;
  constructor(private readonly database: Database) {
    this.db = database.db;
  }

  async roleNamesOf(userId: string): Promise<string[]> {
    const rows = await this.database.query<{ name: string }>('roles_of_user', ROLES_OF, [userId]);
    return rows.map((row) => row.name);
  }

  /** Role names of one account as `executor` sees them (inside a transaction). */
  /** Role names of each of `userIds` (those holding none are absent). */
  async roleNamesOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const held = new Map<string, string[]>();
    if (userIds.length === 0) return held;
    const rows = await this.db
      .select({ userId: userRoles.userId, name: userRoles.roleName })
      .from(userRoles)
      .where(inArray(userRoles.userId, [...userIds]))
      .orderBy(asc(userRoles.userId), asc(userRoles.roleName));
    for (const row of rows) held.set(row.userId, [...(held.get(row.userId) ?? []), row.name]);
    return held;
  }

  async allNames(): Promise<string[]> {
    const rows = await this.db.select({ name: roles.name }).from(roles);
    return rows.map((row) => row.name);
  }

  async roleNamesIn(executor: Executor, userId: string): Promise<string[]> {
    const rows = await executor
      .select({ name: userRoles.roleName })
      .from(userRoles)
      .where(eq(userRoles.userId, userId))
      .orderBy(asc(userRoles.roleName));
    return rows.map((row) => row.name);
  }

  async permissionsOf(userId: string): Promise<string[]> {
    const rows = await this.database.query<{ permission: string }>(
      'permissions_of_user',
      PERMISSIONS_OF,
      [userId],
    );
    return rows.map((row) => row.permission);
  }

  /** Every role, or the one named `name`, with its permissions and member count. */
  async list(executor: Executor = this.db, name?: string): Promise<RoleWithPermissions[]> {
    const rows = await executor
      .select({
        role: roles,
        permissions: sql<
          string[]
        >`coalesce((SELECT array_agg(rp.permission ORDER BY rp.permission) FROM role_permissions rp WHERE rp.role_name = ${roles.name}), '{}')`,
        // Erasing an account takes its roles, so every holder is an account that exists.
        members: sql<number>`(SELECT count(*)::int FROM user_roles ur WHERE ur.role_name = ${roles.name})`,
      })
      .from(roles)
      .where(name === undefined ? undefined : eq(roles.name, name))
      .orderBy(asc(roles.name));
    return rows.map((row) => ({
      ...row.role,
      permissions: row.permissions,
      members: Number(row.members),
    }));
  }

  async find(name: string, executor: Executor = this.db): Promise<RoleWithPermissions | undefined> {
    return (await this.list(executor, name))[0];
  }

  /** The subset of `names` that exist. */
  async existing(names: string[], executor: Executor = this.db): Promise<string[]> {
    if (names.length === 0) return [];
    const rows = await executor
      .select({ name: roles.name })
      .from(roles)
      .where(inArray(roles.name, names));
    return rows.map((row) => row.name);
  }

  /** Permission patterns of the given roles together. */
  async permissionsOfRoles(names: string[], executor: Executor = this.db): Promise<string[]> {
    if (names.length === 0) return [];
    const rows = await executor
      .selectDistinct({ permission: rolePermissions.permission })
      .from(rolePermissions)
      .where(inArray(rolePermissions.roleName, names));
    return rows.map((row) => row.permission);
  }

  async insert(
    tx: Executor,
    role: { name: string; description: string; permissions: string[] },
    now: Date,
  ): Promise<void> {
    await tx.insert(roles).values({
      name: role.name,
      description: role.description,
      builtIn: false,
      createdAt: now,
      updatedAt: now,
    });
    await this.replacePermissions(tx, role.name, role.permissions);
  }

  async update(
    tx: Executor,
    name: string,
    changes: { description?: string; permissions?: string[] },
    now: Date,
  ): Promise<void> {
    await tx
      .update(roles)
      .set({
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        updatedAt: now,
      })
      .where(eq(roles.name, name));
    if (changes.permissions) await this.replacePermissions(tx, name, changes.permissions);
  }

  async delete(tx: Executor, name: string): Promise<void> {
    await tx.delete(roles).where(eq(roles.name, name));
  }

  private async replacePermissions(tx: Executor, name: string, permissions: string[]) {
    await tx.delete(rolePermissions).where(eq(rolePermissions.roleName, name));
    if (permissions.length > 0) {
      await tx
        .insert(rolePermissions)
        .values(permissions.map((permission) => ({ roleName: name, permission })));
    }
  }

  /** Sets exactly `names` as the account's roles; returns the previous ones. */
  async replaceUserRoles(
    tx: Executor,
    userId: string,
    names: string[],
    assignedBy: string | null,
    now: Date,
  ): Promise<string[]> {
    // Locks the account's role rows, so concurrent changes to one account apply one by one.
    const previous = await tx
      .select({ name: userRoles.roleName })
      .from(userRoles)
      .where(eq(userRoles.userId, userId))
      .for('update');
    const before = previous.map((row) => row.name).sort();
    const removed = before.filter((name) => !names.includes(name));
    const added = names.filter((name) => !before.includes(name));
    if (removed.length > 0) {
      await tx
        .delete(userRoles)
        .where(and(eq(userRoles.userId, userId), inArray(userRoles.roleName, removed)));
    }
    if (added.length > 0) {
      await tx
        .insert(userRoles)
        .values(added.map((roleName) => ({ userId, roleName, assignedAt: now, assignedBy })))
        .onConflictDoNothing();
    }
    return before;
  }

  async revokeAll(tx: Executor, userId: string): Promise<void> {
    await tx.delete(userRoles).where(eq(userRoles.userId, userId));
  }

  /** Grants each `(userId, roleName)` pair (a new account's roles); held ones are skipped. */
  async grantMany(
    tx: Executor,
    grants: readonly { userId: string; roleName: string }[],
    assignedBy: string | null,
    now: Date,
  ): Promise<void> {
    for (const chunk of statementChunks(grants)) {
      await tx
        .insert(userRoles)
        .values(chunk.map((grant) => ({ ...grant, assignedAt: now, assignedBy })))
        .onConflictDoNothing();
    }
  }

  async holds(executor: Executor, userId: string, roleName: string): Promise<boolean> {
    const rows = await executor
      .select({ one: sql<number>`1` })
      .from(userRoles)
      .where(and(eq(userRoles.userId, userId), eq(userRoles.roleName, roleName)))
      .limit(1);
    return rows.length > 0;
  }

  /**
   * Serializes every change that could remove an active admin: the `admin` role row is locked
   * until the caller's transaction ends, so two admins demoting each other cannot both pass.
   */
  async lockAdminRole(tx: Executor): Promise<void> {
    await tx.execute(sql`SELECT 1 FROM roles WHERE name = 'admin' FOR UPDATE`);
  }

  /** The accounts holding `roleName` (any status), but `exceptUserId`. */
  async holdersOf(tx: Executor, roleName: string, exceptUserId: string | null): Promise<string[]> {
    const rows = await tx
      .select({ userId: userRoles.userId })
      .from(userRoles)
      .where(
        and(
          eq(userRoles.roleName, roleName),
          exceptUserId ? ne(userRoles.userId, exceptUserId) : undefined,
        ),
      );
    return rows.map((row) => row.userId);
  }
}
