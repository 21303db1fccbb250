import type { Tx } from '../../adapters/db/index.js';
import { foreignKeyViolation, uniqueViolation } from '../../adapters/db/errors.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { Clock } from '../../clock.js';
import { errors, type FieldError } from '../../errors.js';
import type { RequestContext } from '../../request-context.js';
import type { AccountService } from '../account/service.js';
import type { DomainEvents } from '../events/domain-events.js';
import { includesPattern, isGranted, isPermissionPattern } from './permissions.js';
import type { RoleRepository, RoleWithPermissions } from './repository.js';

export const DEFAULT_ROLE = 'user';
export const ADMIN_ROLE = 'admin';

/** Role names: lower case, as they appear in tokens (`roles` claim) of every service. */
const ROLE_NAME = /^[a-z][a-z0-9_.-]{0,62}$/;
const MAX_PERMISSIONS = 100;
const MAX_ROLES_PER_USER = 50;

export interface RoleInput {
  name: string;
  description?: string;
  permissions: string[];
}

/** The acting account: who asks, and what they may grant. */
export interface Actor {
  userId: string;
  context: RequestContext;
}

/**
 * Roles and permissions. Guards ask `can(user, permission)`; nothing outside this module
 * compares role names. Nobody can hand out more than they hold, demote themselves out of
 * `admin`, or leave the system without an active admin.
 */
export class RbacService {
  constructor(
    private readonly deps: {
      roles: RoleRepository;
      accounts: Pick<AccountService, 'requireExisting' | 'countActiveWithin'>;
      events: DomainEvents;
      transaction: Transactor;
      clock: Clock;
    },
  ) {}

  rolesOf(userId: string): Promise<string[]> {
    return this.deps.roles.roleNamesOf(userId);
  }

  /** Role names of each of `userIds`, sorted (an account holding none maps to `[]`). */
  async rolesOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const held = await this.deps.roles.roleNamesOfMany(userIds);
    return new Map(userIds.map((id) => [id, held.get(id) ?? []]));
  }

  /** Every role's name. */
  roleNames(): Promise<string[]> {
    return this.deps.roles.allNames();
  }

  /** Roles of an account that must exist (404 otherwise). */
  async rolesOfExisting(userId: string): Promise<string[]> {
    await this.deps.accounts.requireExisting(userId);
    return this.rolesOf(userId);
  }

  permissionsOf(userId: string): Promise<string[]> {
    return this.deps.roles.permissionsOf(userId);
  }

  async can(userId: string, permission: string): Promise<boolean> {
    return isGranted(await this.permissionsOf(userId), permission);
  }

  /**
   * The in-transaction rules of this module: every new account (registered, created by an
   * admin or imported) starts with the `user` role; an account being erased keeps no role, and
   * the last active admin cannot be erased.
   */
  subscribe(events: Pick<DomainEvents, 'subscribe'>): void {
    events.subscribe('user.created', (tx, created) =>
      this.deps.roles.grantMany(
        tx,
        created.map(({ id }) => ({ userId: id, roleName: DEFAULT_ROLE })),
        null,
        this.deps.clock.now(),
      ),
    );
    events.subscribe('user.erasing', async (tx, erased) => {
      for (const { id } of erased) {
        await this.assertAdminRemains(tx, id);
        await this.deps.roles.revokeAll(tx, id);
      }
    });
  }

  /**
   * Within a new account's transaction (the import): grants roles besides the default one,
   * which `user.created` already gave. No `user.roles_changed`: they are part of the creation.
   */
  grantOnCreationWithin(tx: Tx, grants: readonly { userId: string; roles: string[] }[]) {
    return this.deps.roles.grantMany(
      tx,
      grants.flatMap(({ userId, roles }) =>
        roles.filter((role) => role !== DEFAULT_ROLE).map((roleName) => ({ userId, roleName })),
      ),
      null,
      this.deps.clock.now(),
    );
  }

  /**
   * Gives `admin` to an account (bootstrap, CLI), inside the caller's transaction, announcing
   * and auditing `user.roles_changed`. False when it already held it.
   */
  async grantAdmin(tx: Tx, userId: string, context: RequestContext): Promise<boolean> {
    const before = await this.deps.roles.roleNamesIn(tx, userId);
    if (before.includes(ADMIN_ROLE)) return false;
    await this.grantWithin(tx, { userId: null, context }, userId, [...before, ADMIN_ROLE].sort());
    return true;
  }

  /** Serializes admin bootstrap and demotions (see `RoleRepository.lockAdminRole`). */
  lockAdmins(tx: Tx): Promise<void> {
    return this.deps.roles.lockAdminRole(tx);
  }

  /** Whether any active account holds `admin`. */
  async adminExists(tx: Tx): Promise<boolean> {
    return (await this.countActiveAdmins(tx, null)) > 0;
  }

  /** Active accounts holding `admin` but `exceptUserId`: an admin locked or disabled cannot act. */
  private async countActiveAdmins(tx: Tx, exceptUserId: string | null): Promise<number> {
    const holders = await this.deps.roles.holdersOf(tx, ADMIN_ROLE, exceptUserId);
    return this.deps.accounts.countActiveWithin(tx, holders);
  }

  /**
   * Call inside the transaction of an action that takes `userId` out of the active admins
   * (delete, lock, disable, demote): refuses it when no other active admin would remain.
   */
  async assertAdminRemains(tx: Tx, userId: string): Promise<void> {
    const { roles } = this.deps;
    await roles.lockAdminRole(tx);
    if (!(await roles.holds(tx, userId, ADMIN_ROLE))) return;
    if ((await this.countActiveAdmins(tx, userId)) === 0) {
      throw errors.conflict('This is the last active admin; make someone else admin first.');
    }
  }

  listRoles(): Promise<RoleWithPermissions[]> {
    return this.deps.roles.list();
  }

  async getRole(name: string): Promise<RoleWithPermissions> {
    const role = await this.deps.roles.find(name);
    if (!role) throw errors.notFound(`There is no role "${name}".`);
    return role;
  }

  async createRole(actor: Actor, input: RoleInput): Promise<RoleWithPermissions> {
    const problems = [
      ...roleNameProblems(input.name),
      ...permissionProblems(input.permissions),
      ...(await this.escalationProblems(actor.userId, input.permissions)),
    ];
    if (problems.length > 0) throw errors.validationFailed(problems);
    const permissions = [...new Set(input.permissions)].sort();
    try {
      await this.deps.transaction(async (tx) => {
        await this.deps.roles.insert(
          tx,
          { name: input.name, description: input.description?.trim() ?? '', permissions },
          this.deps.clock.now(),
        );
        await this.deps.events.record(tx, actor.context, {
          type: 'role.created',
          actorUserId: actor.userId,
          subjectUserId: null,
          detail: { role: input.name, permissions },
        });
      });
    } catch (error) {
      if (uniqueViolation(error)) throw errors.conflict(`A role "${input.name}" already exists.`);
      throw error;
    }
    return this.getRole(input.name);
  }

  async updateRole(
    actor: Actor,
    name: string,
    changes: { description?: string; permissions?: string[] },
  ): Promise<RoleWithPermissions> {
    const role = await this.getRole(name);
    if (role.name === ADMIN_ROLE && changes.permissions) {
      throw errors.conflict('The permissions of the built-in admin role cannot be changed.');
    }
    if (changes.permissions) {
      // Both what is added and what is taken away must be within the actor's own reach.
      const touched = [
        ...changes.permissions.filter((p) => !role.permissions.includes(p)),
        ...role.permissions.filter((p) => !changes.permissions!.includes(p)),
      ];
      const problems = [
        ...permissionProblems(changes.permissions),
        ...(await this.escalationProblems(actor.userId, touched)),
      ];
      if (problems.length > 0) throw errors.validationFailed(problems);
    }
    const permissions = changes.permissions && [...new Set(changes.permissions)].sort();
    await this.deps.transaction(async (tx) => {
      await this.deps.roles.update(
        tx,
        name,
        { description: changes.description?.trim(), permissions },
        this.deps.clock.now(),
      );
      await this.deps.events.record(tx, actor.context, {
        type: 'role.updated',
        actorUserId: actor.userId,
        subjectUserId: null,
        detail: {
          role: name,
          ...(permissions ? { permissions, previous_permissions: role.permissions } : {}),
        },
      });
    });
    return this.getRole(name);
  }

  async deleteRole(actor: Actor, name: string): Promise<void> {
    const role = await this.getRole(name);
    if (role.builtIn) throw errors.conflict(`The built-in role "${name}" cannot be deleted.`);
    await this.refuseBeyondReach(actor.userId, role.permissions);
    try {
      await this.deps.transaction(async (tx) => {
        await this.deps.roles.delete(tx, name);
        await this.deps.events.record(tx, actor.context, {
          type: 'role.deleted',
          actorUserId: actor.userId,
          subjectUserId: null,
          detail: { role: name, permissions: role.permissions },
        });
      });
    } catch (error) {
      // user_roles references the role without cascade: still held by someone.
      if (foreignKeyViolation(error)) {
        throw errors.conflict(
          `The role "${name}" is still assigned; take it away from its accounts first.`,
        );
      }
      throw error;
    }
  }

  /**
   * Sets exactly `names` as the roles of `userId`. The actor must hold every permission of
   * each role added or removed; nobody removes their own `admin`, nor the last active admin's.
   */
  async setUserRoles(actor: Actor, userId: string, names: string[]): Promise<string[]> {
    const wanted = await this.knownRoles(names);
    await this.deps.accounts.requireExisting(userId);

    const current = await this.rolesOf(userId);
    const added = wanted.filter((name) => !current.includes(name));
    const removed = current.filter((name) => !wanted.includes(name));
    if (added.length === 0 && removed.length === 0) return current;
    await this.refuseBeyondReach(
      actor.userId,
      await this.deps.roles.permissionsOfRoles([...added, ...removed]),
    );
    if (removed.includes(ADMIN_ROLE) && userId === actor.userId) {
      throw errors.conflict('You cannot remove your own admin role; ask another admin.');
    }

    await this.deps.transaction(async (tx) => {
      if (removed.includes(ADMIN_ROLE)) await this.assertAdminRemains(tx, userId);
      await this.grantWithin(tx, actor, userId, wanted);
    });
    return wanted;
  }

  /**
   * Checks the roles an administrator gives a new account: known, and within the actor's own
   * permissions (403 otherwise). Returns them with the default role, deduplicated and sorted.
   */
  async assignableRoles(actorUserId: string, names: string[]): Promise<string[]> {
    const wanted = await this.knownRoles([...names, DEFAULT_ROLE]);
    const added = wanted.filter((name) => name !== DEFAULT_ROLE);
    await this.refuseBeyondReach(actorUserId, await this.deps.roles.permissionsOfRoles(added));
    return wanted;
  }

  /**
   * Within the caller's transaction: sets exactly `roles` (already checked) as the account's
   * roles, announcing and auditing `user.roles_changed` (`actor.userId` null: the system)
   * when they differ; returns the roles it held before.
   */
  async grantWithin(
    tx: Tx,
    actor: { userId: string | null; context: RequestContext },
    userId: string,
    roles: string[],
  ): Promise<string[]> {
    const before = await this.deps.roles.replaceUserRoles(
      tx,
      userId,
      roles,
      actor.userId,
      this.deps.clock.now(),
    );
    if (before.join() !== roles.join()) {
      await this.deps.events.emit(
        tx,
        'user.roles_changed',
        { id: userId, roles, previous_roles: before },
        {
          context: actor.context,
          audit: {
            type: 'user.roles_changed',
            actorUserId: actor.userId,
            subjectUserId: userId,
            detail: { roles, previous_roles: before },
          },
        },
      );
    }
    return before;
  }

  /** `names` deduplicated and sorted; 422 on the `roles` field for unknown ones or too many. */
  private async knownRoles(names: string[]): Promise<string[]> {
    const wanted = [...new Set(names)].sort();
    const problems: FieldError[] = [];
    if (wanted.length > MAX_ROLES_PER_USER) {
      problems.push({ field: 'roles', message: `at most ${MAX_ROLES_PER_USER} roles` });
    }
    const existing = await this.deps.roles.existing(wanted);
    const unknown = wanted.filter((name) => !existing.includes(name));
    if (unknown.length > 0) {
      problems.push({ field: 'roles', message: `unknown role(s): ${unknown.join(', ')}` });
    }
    if (problems.length > 0) throw errors.validationFailed(problems);
    return wanted;
  }

  /** 403 when the actor could not grant or revoke every one of `patterns` themselves. */
  private async refuseBeyondReach(actorId: string, patterns: string[]): Promise<void> {
    const [problem] = await this.escalationProblems(actorId, patterns);
    if (problem) throw errors.forbidden(problem.message);
  }

  /** What of `patterns` the actor could not grant themselves, as field errors. */
  private async escalationProblems(actorId: string, patterns: string[]): Promise<FieldError[]> {
    if (patterns.length === 0) return [];
    const held = await this.permissionsOf(actorId);
    const beyond = [...new Set(patterns)].filter((pattern) => !includesPattern(held, pattern));
    return beyond.length === 0
      ? []
      : [
          {
            field: 'permissions',
            message: `you cannot grant or revoke what you do not hold: ${beyond.join(', ')}`,
          },
        ];
  }
}

function roleNameProblems(name: string): FieldError[] {
  return ROLE_NAME.test(name)
    ? []
    : [
        {
          field: 'name',
          message:
            'must be 1-63 characters: a lower-case letter, then letters, digits, "_", "-" or "."',
        },
      ];
}

function permissionProblems(permissions: string[]): FieldError[] {
  const problems: FieldError[] = [];
  if (permissions.length > MAX_PERMISSIONS) {
    problems.push({ field: 'permissions', message: `at most ${MAX_PERMISSIONS} permissions` });
  }
  const malformed = permissions.filter((p) => !isPermissionPattern(p));
  if (malformed.length > 0) {
    problems.push({
      field: 'permissions',
      message: `not of the form resource:action (either may be *): ${malformed.slice(0, 5).join(', ')}`,
    });
  }
  return problems;
}
