import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent, EventBus } from '../../src/adapters/bus/index.js';
import { chooseKeyEncryption } from '../../src/adapters/keys/index.js';
import { mailboxDirectory } from '../../src/adapters/mail/index.js';
import { OutboxRepository } from '../../src/modules/events/repository.js';
import { createOutboxWorker } from '../../src/worker.js';
import { buildTestApp, newAccount, post, type TestApp } from '../helpers/app.js';
import { rowsOf } from '../helpers/http.js';
import { registerUser } from '../helpers/lifecycle.js';
import { mailTo, readMailbox, secretsOf } from '../helpers/mailbox.js';
import { startNotificationService, startSmtpServer } from '../helpers/servers.js';

const HOUR = 3_600_000;

/** @see issue #4 — mail over a real SMTP server and the notification service; faults and retries. */
describe('mail over SMTP', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await buildTestApp({
      env: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Gatehouse <auth@platform.test>',
        OUTBOX_MAX_ATTEMPTS: '3',
      },
    });
  });
  afterEach(() => {
    smtp.state.refuse = false;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('the verification mail arrives over SMTP and its code verifies the account', async () => {
    const { account } = await registerUser(t.app);
    await t.deliver();
    const [mail] = mailTo(smtp.received, account.email);
    expect(mail).toBeDefined();
    expect(mail!.from).toContain('auth@platform.test');
    expect(mail!.subject).toBe('Confirm your email address');
    expect(mail!.html).toContain('<strong>');
    const { code } = secretsOf(mail!);
    const confirmed = await post(t.app, '/auth/verify-email/confirm', {
      email: account.email,
      code,
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    // Nothing went to the file mailbox.
    expect(readMailbox(mailboxDirectory(t.config))).toHaveLength(0);
  });

  it('SMTP refusing: jobs are retried with backoff and all delivered once it recovers', async () => {
    await t.deliver();
    smtp.state.refuse = true;
    const accounts = [];
    for (let i = 0; i < 3; i += 1) accounts.push((await registerUser(t.app)).account);
    const first = await t.deliver();
    expect(first).toEqual({ delivered: 3, retried: 3, parked: 0 }); // 3 events out, 3 mails refused
    // Not due yet: backoff holds them.
    expect(await t.deliver()).toEqual({ delivered: 0, retried: 0, parked: 0 });
    smtp.state.refuse = false;
    t.clock.advance(HOUR);
    expect((await t.deliver()).delivered).toBe(3);
    for (const account of accounts) expect(mailTo(smtp.received, account.email)).toHaveLength(1);
    expect(rowsOf(await t.gatehouse.database.db.execute(sql`SELECT id FROM outbox`))).toHaveLength(
      0,
    );
  });

  it('after OUTBOX_MAX_ATTEMPTS a job is parked as failed, counted, and retried on demand', async () => {
    await t.deliver();
    smtp.state.refuse = true;
    const { account } = await registerUser(t.app);
    const repository = new OutboxRepository(t.gatehouse.database.db);
    for (let i = 0; i < 3; i += 1) {
      await t.deliver();
      t.clock.advance(HOUR);
    }
    const counts = await repository.counts();
    expect(counts).toContainEqual({ kind: 'mail', status: 'failed', count: 1 });
    const [parked] = (await repository.list()).filter((row) => row.status === 'failed');
    expect(parked!.attempts).toBe(3);
    expect(parked!.lastError).toContain('try again later');
    // Parked rows are left alone by the relay…
    smtp.state.refuse = false;
    t.clock.advance(HOUR);
    expect(await t.deliver()).toEqual({ delivered: 0, retried: 0, parked: 0 });
    expect(mailTo(smtp.received, account.email)).toHaveLength(0);
    // …until `outbox retry` puts them back in line.
    expect(await repository.retryFailed(t.clock.now())).toBe(1);
    expect((await t.deliver()).delivered).toBe(1);
    expect(mailTo(smtp.received, account.email)).toHaveLength(1);
  });
});

describe('mail through the notification service', () => {
  let service: Awaited<ReturnType<typeof startNotificationService>>;
  let t: TestApp;
  beforeAll(async () => {
    service = await startNotificationService();
    t = await buildTestApp({ env: { NOTIFICATION_SERVICE_URL: service.url } });
  });
  afterAll(async () => {
    await t.close();
    await service.close();
  });

  it('POSTs {to, subject, message} to /send; a failure is retried with the same idempotency key', async () => {
    service.state.status = 503;
    const { account } = await registerUser(t.app);
    expect((await t.deliver()).retried).toBe(1);
    service.state.status = 202;
    // Past the first retry delay, well within the code's lifetime.
    t.clock.advance(60_000);
    await t.deliver();
    const sent = service.received.filter((r) => r.body.to === account.email);
    expect(sent).toHaveLength(1);
    expect(Object.keys(sent[0]!.body).sort()).toEqual(['message', 'subject', 'to']);
    expect(sent[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    const code = /Your code: (\d{6})/.exec(sent[0]!.body.message)?.[1];
    const confirmed = await post(t.app, '/auth/verify-email/confirm', {
      email: account.email,
      code,
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
  });
});

describe('a restart', () => {
  it('keeps undelivered mail and events; the next instance delivers them', async () => {
    const first = await buildTestApp();
    const { account } = await registerUser(first.app);
    await first.stop();
    const second = await buildTestApp({ db: first.db, env: { DATA_DIR: first.config.dataDir } });
    try {
      expect(await second.deliver()).toEqual({ delivered: 2, retried: 0, parked: 0 });
      expect(mailTo(readMailbox(mailboxDirectory(second.config)), account.email)).toHaveLength(1);
      expect(second.events.map((e) => e.type)).toEqual(['user.created']);
    } finally {
      await second.stop();
      await first.db.drop();
    }
  });
});

describe('two workers on one database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('never publish the same row twice', async () => {
    const published: { worker: number; event: CloudEvent }[] = [];
    const recordingBus = (worker: number): EventBus => ({
      kind: 'memory',
      async publish(event) {
        // A slow broker widens the window in which the workers overlap.
        await new Promise((resolve) => setTimeout(resolve, 2));
        published.push({ worker, event });
      },
      async close() {},
    });
    for (let i = 0; i < 20; i += 1) await registerUser(t.app, newAccount());
    const workers = await Promise.all(
      [1, 2].map(async (n) =>
        createOutboxWorker({
          config: t.config,
          database: n === 1 ? t.gatehouse.database : await t.db.open(),
          box: chooseKeyEncryption({
            keyEncryptionKey: undefined,
            embedded: t.db.kind === 'pglite',
            dataDir: t.config.dataDir,
          }).box,
          clock: t.clock,
          log: { info() {}, warn() {}, error() {} },
          bus: recordingBus(n),
          mail: { kind: 'file', async send() {}, async close() {} },
          // Small batches so the workers take turns claiming.
          batchSize: 3,
        }),
      ),
    );
    const reports = await Promise.all(workers.map((w) => w.relay.drain()));
    await Promise.all(workers.map((w) => w.close()));
    const ids = published.map((p) => p.event.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(reports[0]!.delivered + reports[1]!.delivered).toBe(40); // 20 events + 20 mails
  });
});
