import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { problemsOf } from '../test/helpers/config.js';

describe('protection config', () => {
  it('has the documented defaults', () => {
    const { protection } = loadConfig({});
    expect(protection).toMatchObject({
      maxFailedLogins: 5,
      lockoutSeconds: 30 * 60,
      maxSessionsPerUser: 0,
      sessionLimitPolicy: 'evict_oldest',
      sessionIdleTimeoutSeconds: 24 * 3600,
      auditRetentionDays: 365,
      corsOrigins: [],
      redisUrl: undefined,
      redisKeyPrefix: 'gatehouse:',
    });
    expect(protection.rateLimit.enabled).toBe(true);
    expect(protection.rateLimit.rules.login).toEqual({
      ip: { points: 30, durationSeconds: 60 },
      identifier: { points: 10, durationSeconds: 60 },
    });
    expect(protection.rateLimit.rules.register.ip).toEqual({ points: 10, durationSeconds: 3600 });
    expect(protection.rateLimit.rules.refresh.identifier).toBeNull();
  });

  it('reads every variable', () => {
    const { protection } = loadConfig({
      MAX_FAILED_LOGIN_ATTEMPTS: '3',
      LOCKOUT_DURATION_MINUTES: '15',
      MAX_SESSIONS_PER_USER: '4',
      SESSION_LIMIT_POLICY: 'DENY',
      SESSION_IDLE_TIMEOUT_MINUTES: '0',
      AUDIT_RETENTION_DAYS: '90',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:3000/',
      REDIS_URL: 'redis://:pw@redis:6379/1',
      REDIS_KEY_PREFIX: 'gh1:',
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_LOGIN_PER_IP: '100/30s',
      RATE_LIMIT_MFA_PER_IDENTIFIER: '0',
      RATE_LIMIT_EMAIL_PER_IP: '5/2h',
      RATE_LIMIT_REFRESH_PER_IP: '7/90',
    });
    expect(protection).toMatchObject({
      maxFailedLogins: 3,
      lockoutSeconds: 900,
      maxSessionsPerUser: 4,
      sessionLimitPolicy: 'deny',
      sessionIdleTimeoutSeconds: 0,
      auditRetentionDays: 90,
      corsOrigins: ['https://a.example.com', 'http://localhost:3000'],
      redisUrl: 'redis://:pw@redis:6379/1',
      redisKeyPrefix: 'gh1:',
    });
    expect(protection.rateLimit.enabled).toBe(false);
    expect(protection.rateLimit.rules.login.ip).toEqual({ points: 100, durationSeconds: 30 });
    expect(protection.rateLimit.rules.mfa.identifier).toBeNull();
    expect(protection.rateLimit.rules.email.ip).toEqual({ points: 5, durationSeconds: 7200 });
    expect(protection.rateLimit.rules.refresh.ip).toEqual({ points: 7, durationSeconds: 90 });
  });

  it('reports one line per bad variable, never echoing the Redis URL', () => {
    const problems = problemsOf({
      MAX_FAILED_LOGIN_ATTEMPTS: '0',
      SESSION_LIMIT_POLICY: 'random',
      RATE_LIMIT_LOGIN_PER_IP: 'lots',
      RATE_LIMIT_REGISTER_PER_IDENTIFIER: '5/2d',
      CORS_ORIGINS: 'https://ok.example.com,not an origin',
      REDIS_URL: 'http://user:secret@redis:6379',
      RATE_LIMIT_ENABLED: 'maybe',
    });
    expect(problems).toHaveLength(7);
    expect(problems.join('\n')).not.toContain('secret');
    for (const name of [
      'MAX_FAILED_LOGIN_ATTEMPTS',
      'SESSION_LIMIT_POLICY',
      'RATE_LIMIT_LOGIN_PER_IP',
      'RATE_LIMIT_REGISTER_PER_IDENTIFIER',
      'CORS_ORIGINS',
      'REDIS_URL',
      'RATE_LIMIT_ENABLED',
    ]) {
      expect(problems.filter((p) => p.startsWith(`${name}:`))).toHaveLength(1);
    }
  });
});
