import type { Transactor } from '../../adapters/db/transaction.js';
import { AppError, errors } from '../../errors.js';
import { NO_REQUEST, type RequestContext } from '../../request-context.js';
import type { AccountService } from '../account/service.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { PasswordPolicy } from '../passwords/policy.js';
import type { RbacService } from '../rbac/service.js';

export interface AdminSpec {
  email: string;
  username?: string | null;
  fullName?: string | null;
  password: string;
}

export type BootstrapOutcome =
  /** A new account holding `admin`. */
  | { kind: 'created'; userId: string }
  /** The account existed; it now holds `admin` (its password is left as it was). */
  | { kind: 'promoted'; userId: string }
  /** The account already held `admin`: nothing changed. */
  | { kind: 'unchanged'; userId: string }
  /** `onlyIfNoAdmin` and an active admin exists: nothing was looked at. */
  | { kind: 'skipped' };

/**
 * Makes sure an admin account exists: `gatehouse admin create` and ADMIN_EMAIL/ADMIN_PASSWORD
 * at start-up. Idempotent: running it again changes nothing, and an existing account keeps its
 * password (the command never becomes a way to reset one).
 */
export class AdminBootstrap {
  constructor(
    private readonly deps: {
      accounts: AccountService;
      rbac: RbacService;
      hasher: PasswordHasher;
      events: DomainEvents;
      transaction: Transactor;
      passwordPolicy: PasswordPolicy;
    },
  ) {}

  async ensureAdmin(
    spec: AdminSpec,
    options: { onlyIfNoAdmin: boolean; context?: RequestContext },
  ): Promise<BootstrapOutcome> {
    const { accounts, rbac } = this.deps;
    const context = options.context ?? NO_REQUEST;
    const { email, username } = accounts.normalizeNewIdentifiers({
      email: spec.email,
      username: spec.username ?? null,
    });
    if (!email) throw errors.validationFailed([{ field: 'email', message: 'is required' }]);
    if (options.onlyIfNoAdmin && (await this.deps.transaction((tx) => rbac.adminExists(tx)))) {
      return { kind: 'skipped' };
    }

    const existing = await accounts.findByIdentifier(email);
    if (existing) return this.promote(existing.id, options.onlyIfNoAdmin, context);

    this.deps.passwordPolicy.check(spec.password, { email, username });
    const passwordHash = await this.deps.hasher.hash(spec.password);
    let skipped = false;
    try {
      const user = await accounts.create(
        {
          email,
          username,
          fullName: spec.fullName?.trim() || null,
          passwordHash,
          emailVerified: true,
        },
        { context, actorUserId: null },
        async (tx, created) => {
          // Replicas starting together: the admin-role lock lets exactly one create the admin.
          await rbac.lockAdmins(tx);
          if (options.onlyIfNoAdmin && (await rbac.adminExists(tx))) {
            skipped = true;
            throw new BootstrapSkipped();
          }
          await rbac.grantAdmin(tx, created.id, context);
          await this.deps.events.record(tx, context, adminBootstrapped(created.id, 'created'));
        },
      );
      return { kind: 'created', userId: user.id };
    } catch (error) {
      if (skipped) return { kind: 'skipped' };
      // Created meanwhile by someone else (another replica): promote that account instead.
      const raced = await accounts.findByIdentifier(email);
      if (raced && error instanceof AppError && error.code === 'conflict') {
        return this.promote(raced.id, options.onlyIfNoAdmin, context);
      }
      throw error;
    }
  }

  private async promote(
    userId: string,
    onlyIfNoAdmin: boolean,
    context: RequestContext,
  ): Promise<BootstrapOutcome> {
    const { rbac } = this.deps;
    const outcome = await this.deps.transaction(async (tx) => {
      await rbac.lockAdmins(tx);
      if (onlyIfNoAdmin && (await rbac.adminExists(tx))) return 'skipped' as const;
      if (!(await rbac.grantAdmin(tx, userId, context))) return 'unchanged' as const;
      await this.deps.events.record(tx, context, adminBootstrapped(userId, 'promoted'));
      return 'promoted' as const;
    });
    if (outcome === 'skipped') return { kind: 'skipped' };
    return { kind: outcome, userId };
  }
}

class BootstrapSkipped extends Error {}

function adminBootstrapped(userId: string, how: 'created' | 'promoted') {
  return {
    type: 'admin.bootstrapped' as const,
    subjectUserId: userId,
    actorUserId: null,
    detail: { how },
  };
}
