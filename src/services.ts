import type { Database } from './adapters/db/index.js';
import { transactorFor } from './adapters/db/transaction.js';
import type { SealedBox, TokenSigner } from './adapters/keys/index.js';
import type { Metrics } from './adapters/telemetry/metrics.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { AdminBootstrap } from './modules/admin/bootstrap.js';
import { AdminService } from './modules/admin/service.js';
import { UserDirectory } from './modules/admin/user-directory.js';
import { AccountLifecycle } from './modules/account/lifecycle.js';
import { UserRepository } from './modules/account/repository.js';
import { AccountService } from './modules/account/service.js';
import { AuditRepository } from './modules/audit/repository.js';
import { AuditService } from './modules/audit/service.js';
import type { PasswordHasher } from './modules/passwords/hasher.js';
import { PasswordPolicy } from './modules/passwords/policy.js';
import { AuthService } from './modules/auth/service.js';
import { DomainEvents } from './modules/events/domain-events.js';
import { Outbox } from './modules/events/outbox.js';
import { OutboxRepository } from './modules/events/repository.js';
import { LoginFailureRepository } from './modules/lockout/repository.js';
import { LockoutService } from './modules/lockout/service.js';
import { MfaRepository } from './modules/mfa/repository.js';
import { MfaChallenges, MfaService } from './modules/mfa/service.js';
import { RoleRepository } from './modules/rbac/repository.js';
import { RbacService } from './modules/rbac/service.js';
import { SessionRepository } from './modules/sessions/repository.js';
import { SessionService } from './modules/sessions/service.js';
import {
  MemoryAddressLimiter,
  type AddressLimiter,
} from './modules/verification/address-limiter.js';
import { OneTimeTokenRepository } from './modules/verification/repository.js';
import { OneTimeTokenService } from './modules/verification/service.js';

/** Verification and reset requests take at least this long, known address or not. */
export const UNIFORM_RESPONSE_MS = 150;

/** The adapters the service layer is built from (opened by `openRuntime`, or by a test). */
export interface ServiceAdapters {
  database: Database;
  signer: TokenSigner;
  hasher: PasswordHasher;
  clock: Clock;
  /**
   * Seals mail content in the outbox and TOTP secrets (the key-encryption key); mail is plain
   * and MFA setup answers 503 when undefined.
   */
  box?: SealedBox;
  /** Per-address limit of verification and reset mails; in-memory by default. */
  mailLimiter?: AddressLimiter;
  metrics: Metrics;
}

export type Services = ReturnType<typeof createServices>;

/**
 * The composition root of the service layer: repositories → services, and the in-transaction
 * rules between modules (`subscribe`). Built once per process, before and without HTTP: the
 * HTTP app (`buildApp`) and the CLI commands share it, so both apply the same rules.
 */
export function createServices(config: Config, adapters: ServiceAdapters) {
  const { database, signer, hasher, clock, box, mailLimiter, metrics } = adapters;
  const protection = config.protection;
  const passwordPolicy = new PasswordPolicy({ minLength: config.passwords.minLength });
  const audit = new AuditService({
    audit: new AuditRepository(database),
    clock,
    retentionDays: protection.auditRetentionDays,
  });
  const { lifecycle: lifecycleConfig } = config;
  const transaction = transactorFor(database.db);
  const outbox = new Outbox({ outbox: new OutboxRepository(database.db), clock, box: box });
  const events = new DomainEvents({ outbox, audit, transaction });
  const users = new UserRepository(database);
  const accounts = new AccountService({ users, clock, events, transaction });
  const rbac = new RbacService({
    roles: new RoleRepository(database),
    accounts,
    events,
    transaction,
    clock,
  });
  const sessions = new SessionService({
    sessions: new SessionRepository(database),
    clock,
    events,
    transaction,
    settings: {
      refreshTokenTtlSeconds: config.tokens.refreshTokenTtlSeconds,
      maxLifetimeSeconds: config.tokens.sessionMaxLifetimeSeconds,
      idleTimeoutSeconds: protection.sessionIdleTimeoutSeconds,
      maxPerUser: protection.maxSessionsPerUser,
      limitPolicy: protection.sessionLimitPolicy,
    },
  });
  const lockout = new LockoutService({
    failures: new LoginFailureRepository(database),
    clock,
    settings: {
      maxFailures: protection.maxFailedLogins,
      lockoutSeconds: protection.lockoutSeconds,
    },
  });
  const oneTimeTokens = new OneTimeTokenRepository(database.db);
  const mfaFactors = new MfaRepository(database.db);
  const mailedTokens = new OneTimeTokenService({
    tokens: oneTimeTokens,
    clock,
    ttlSeconds: lifecycleConfig.codeTtlSeconds,
  });
  const lifecycle = new AccountLifecycle({
    users,
    tokens: mailedTokens,
    sessions,
    events,
    hasher,
    passwordPolicy,
    limiter:
      mailLimiter ??
      new MemoryAddressLimiter({
        limit: lifecycleConfig.mailRequestsPerHour,
        windowMs: 3_600_000,
        clock,
      }),
    clock,
    transaction,
    settings: {
      publicUrl: config.http.publicUrl,
      passwordResetUrl: lifecycleConfig.passwordResetUrl,
      codeTtlSeconds: lifecycleConfig.codeTtlSeconds,
      uniformResponseMs: UNIFORM_RESPONSE_MS,
    },
  });
  const auth = new AuthService({
    accounts,
    lifecycle,
    sessions,
    signer,
    hasher,
    metrics,
    passwordPolicy,
    lockout,
    events,
    transaction,
    requireEmailVerification: lifecycleConfig.requireEmailVerification,
    roles: rbac,
    secondFactor: new MfaChallenges({
      mfa: mfaFactors,
      tokens: oneTimeTokens,
      clock,
      db: database.db,
    }),
  });
  const mfa = new MfaService({
    mfa: mfaFactors,
    tokens: oneTimeTokens,
    accounts,
    auth,
    sessions,
    hasher,
    events,
    transaction,
    clock,
    metrics,
    box: box,
    settings: config.mfa,
  });
  const adminBootstrap = new AdminBootstrap({
    accounts,
    rbac,
    hasher,
    events,
    transaction,
    passwordPolicy,
  });
  const admin = new AdminService({
    accounts,
    lifecycle,
    rbac,
    sessions,
    lockout,
    mfa,
    tokens: mailedTokens,
    hasher,
    events,
    transaction,
    clock,
    passwordPolicy,
  });
  // The in-transaction rules between modules: the only place they are wired.
  rbac.subscribe(events);
  mfa.subscribe(events);
  return {
    admin,
    adminBootstrap,
    directory: new UserDirectory(database),
    audit,
    events,
    outbox,
    transaction,
    accounts,
    rbac,
    sessions,
    lockout,
    lifecycle,
    auth,
    mfa,
  };
}
