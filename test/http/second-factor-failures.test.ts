import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserRepository } from '../../src/modules/account/repository.js';
import { AccountService } from '../../src/modules/account/service.js';
import { AuditRepository } from '../../src/modules/audit/repository.js';
import { AuditService } from '../../src/modules/audit/service.js';
import { AuthService } from '../../src/modules/auth/service.js';
import { LoginFailureRepository } from '../../src/modules/lockout/repository.js';
import { LockoutService } from '../../src/modules/lockout/service.js';
import { buildTestApp, json, newAccount, post, type TestApp } from '../helpers/app.js';
import { auditRows } from '../helpers/audit.js';
import { expectProblem } from '../helpers/problem.js';

/**
 * @see issue #5 — wrong second-factor codes count toward the lockout. MFA is not built yet, so
 * this drives `AuthService.recordSecondFactorFailure` (the hook it will call) directly, on the
 * same database as an app that answers the logins.
 */
describe('second-factor failures', () => {
  let t: TestApp;
  let auth: AuthService;
  const announced: string[] = [];
  beforeAll(async () => {
    t = await buildTestApp({ env: { MAX_FAILED_LOGIN_ATTEMPTS: '3' } });
    const database = await t.db.open();
    const audit = new AuditService({
      audit: new AuditRepository(database),
      clock: t.clock,
      retentionDays: 0,
    });
    auth = new AuthService({
      accounts: new AccountService({
        users: new UserRepository(database),
        clock: t.clock,
        audit,
        // Not used by recordSecondFactorFailure.
        outbox: undefined as never,
        transaction: undefined as never,
      }),
      lockout: new LockoutService({
        failures: new LoginFailureRepository(database),
        clock: t.clock,
        settings: { maxFailures: 3, lockoutSeconds: 1800 },
      }),
      audit,
      signer: t.gatehouse.signer,
      passwordMinLength: 8,
      // Not used by recordSecondFactorFailure.
      sessions: undefined as never,
      hasher: undefined as never,
      roles: undefined as never,
      // Records the lock announcement (event + mail) the real lifecycle would write.
      lifecycle: {
        announceLock: async (user: { id: string }) => void announced.push(user.id),
      } as never,
      requireEmailVerification: false,
      metrics: t.gatehouse.metrics,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('count with wrong passwords toward one lockout, audited as mfa.failed and user.locked', async () => {
    const account = newAccount();
    const user = json(await post(t.app, '/auth/register', account)).user;
    const context = { ip: '192.0.2.9', userAgent: 'MfaTest', requestId: 'mfa-req-1' };
    expectProblem(
      await post(t.app, '/auth/login', { identifier: account.email, password: 'nope-nope-1' }),
      401,
      'invalid_credentials',
    );
    await auth.recordSecondFactorFailure(account.email, user.id, context);
    await auth.recordSecondFactorFailure(account.email.toUpperCase(), user.id, context);
    const locked = await post(t.app, '/auth/login', {
      identifier: account.email,
      password: account.password,
    });
    expectProblem(locked, 423, 'account_locked');
    const rows = await auditRows(t, user.id);
    expect(rows.map((r) => r.type)).toEqual([
      'user.created',
      'auth.login_failed',
      'mfa.failed',
      'mfa.failed',
      'user.locked',
      'auth.login_failed',
    ]);
    expect(rows[2]).toMatchObject({ outcome: 'failure', ip: '192.0.2.9', request_id: 'mfa-req-1' });
    expect(announced).toEqual([user.id]);
  });
});
