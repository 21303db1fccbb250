import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** @see issue #4 — lifecycle, mail, events and outbox settings. */
describe('lifecycle configuration', () => {
  it('has working defaults: file mailbox, in-process bus, 15-minute codes', () => {
    const { lifecycle } = loadConfig({ PUBLIC_URL: 'https://id.example.com/' });
    expect(lifecycle).toEqual({
      requireEmailVerification: false,
      codeTtlSeconds: 900,
      mailRequestsPerHour: 5,
      passwordResetUrl: 'https://id.example.com/reset-password',
      mail: {
        from: 'Gatehouse <no-reply@id.example.com>',
        smtpUrl: undefined,
        notificationServiceUrl: undefined,
      },
      events: { amqpUrl: undefined, exchange: 'gatehouse.events' },
      outbox: { maxAttempts: 10, pollIntervalMs: 1000, retryBaseMs: 2000, workerInProcess: 'auto' },
    });
  });

  it('reads every variable', () => {
    const { lifecycle } = loadConfig({
      REQUIRE_EMAIL_VERIFICATION: 'true',
      VERIFICATION_CODE_TTL_MINUTES: '30',
      MAIL_REQUESTS_PER_HOUR: '3',
      PASSWORD_RESET_URL: 'https://app.example.com/reset/',
      SMTP_URL: 'smtps://user:pw@mail.example.com',
      MAIL_FROM: 'Accounts <accounts@example.com>',
      AMQP_URL: 'amqp://guest:guest@rabbit:5672',
      AMQP_EXCHANGE: 'platform.users',
      OUTBOX_MAX_ATTEMPTS: '4',
      OUTBOX_POLL_INTERVAL_MS: '250',
      OUTBOX_RETRY_BASE_MS: '100',
      WORKER_IN_PROCESS: 'false',
    });
    expect(lifecycle.requireEmailVerification).toBe(true);
    expect(lifecycle.codeTtlSeconds).toBe(1800);
    expect(lifecycle.mailRequestsPerHour).toBe(3);
    expect(lifecycle.passwordResetUrl).toBe('https://app.example.com/reset');
    expect(lifecycle.mail.smtpUrl).toBe('smtps://user:pw@mail.example.com');
    expect(lifecycle.mail.from).toBe('Accounts <accounts@example.com>');
    expect(lifecycle.events).toEqual({
      amqpUrl: 'amqp://guest:guest@rabbit:5672',
      exchange: 'platform.users',
    });
    expect(lifecycle.outbox).toEqual({
      maxAttempts: 4,
      pollIntervalMs: 250,
      retryBaseMs: 100,
      workerInProcess: 'false',
    });
  });

  it('reports one line per bad variable and never echoes a URL', () => {
    const found = problems({
      AMQP_URL: 'http://guest:s3cret@rabbit',
      SMTP_URL: 'smtp://user:s3cret@mail',
      NOTIFICATION_SERVICE_URL: 'http://notify',
      MAIL_FROM: 'nobody',
      AMQP_EXCHANGE: 'bad exchange!',
      VERIFICATION_CODE_TTL_MINUTES: '0',
      OUTBOX_MAX_ATTEMPTS: 'many',
      WORKER_IN_PROCESS: 'maybe',
      REQUIRE_EMAIL_VERIFICATION: 'sure',
    });
    // In the order of the configuration reference.
    expect(found.map((line) => line.split(':')[0])).toEqual([
      'REQUIRE_EMAIL_VERIFICATION',
      'VERIFICATION_CODE_TTL_MINUTES',
      'MAIL_FROM',
      'NOTIFICATION_SERVICE_URL',
      'AMQP_URL',
      'AMQP_EXCHANGE',
      'OUTBOX_MAX_ATTEMPTS',
      'WORKER_IN_PROCESS',
    ]);
    expect(found.join('\n')).not.toContain('s3cret');
  });
});
