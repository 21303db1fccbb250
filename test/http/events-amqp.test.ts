import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpEventBus } from '../../src/adapters/bus/index.js';
import { buildTestApp, json, newAccount, post, type TestApp } from '../helpers/app.js';
import { login } from '../helpers/http.js';
import { registerUser, verificationSecrets } from '../helpers/lifecycle.js';
import { startTcpProxy } from '../helpers/servers.js';

const AMQP_URL = process.env.AMQP_URL;
const REQUIRED = process.env.CI === 'true';
if (!AMQP_URL && !REQUIRED) {
  console.warn('[gatehouse tests] AMQP_URL is not set: the RabbitMQ suites are skipped.');
}

interface Received {
  routingKey: string;
  messageId: string | undefined;
  contentType: string | undefined;
  persistent: boolean;
  body: Record<string, any>;
}

/** A consumer with its own queue bound to every `user.*` key of `exchange`. */
async function startConsumer(url: string, exchange: string) {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, 'user.*');
  const received: Received[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      received.push({
        routingKey: message.fields.routingKey,
        messageId: message.properties.messageId as string | undefined,
        contentType: message.properties.contentType as string | undefined,
        persistent: message.properties.deliveryMode === 2,
        body: JSON.parse(message.content.toString('utf8')),
      });
    },
    { noAck: true },
  );
  return {
    received,
    /** Waits until `predicate` holds (or fails after a few seconds). */
    async waitFor(predicate: () => boolean, what: string) {
      for (let i = 0; i < 100 && !predicate(); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (!predicate()) throw new Error(`timed out waiting for ${what}`);
    },
    async close() {
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close();
    },
  };
}

/**
 * @see issue #4 — events reach a consumer on the real RabbitMQ (AMQP_URL; required when
 * CI=true), exactly once per id, through a broker outage.
 */
describe.skipIf(!AMQP_URL && !REQUIRED)('events on RabbitMQ', () => {
  let url: string;
  let exchange: string;
  let consumer: Awaited<ReturnType<typeof startConsumer>>;
  beforeAll(async () => {
    if (!AMQP_URL) throw new Error('AMQP_URL is required for the RabbitMQ suites (CI=true)');
    url = AMQP_URL;
    exchange = `gatehouse.test.${randomBytes(6).toString('hex')}`;
    consumer = await startConsumer(url, exchange);
  });
  afterAll(async () => {
    await consumer?.close();
  });

  describe('the user lifecycle', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({
        env: { AMQP_URL: url, AMQP_EXCHANGE: exchange },
        bus: new AmqpEventBus({ url, exchange }),
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('a consumer sees created, email_verified, password_changed and deleted once each', async () => {
      const { account, user } = await registerUser(t.app);
      const { code } = await verificationSecrets(t, account.email);
      await post(t.app, '/auth/verify-email/confirm', { email: account.email, code });
      const tokens = await login(t.app, account.email, account.password);
      const newPassword = 'Harbor-Lights-Changed-2026';
      const changed = await post(
        t.app,
        '/users/me/password',
        { current_password: account.password, new_password: newPassword },
        tokens.accessToken,
      );
      expect(changed.statusCode, changed.body).toBe(204);
      const deleted = await t.app.inject({
        method: 'DELETE',
        url: '/api/v1/users/me',
        payload: { password: newPassword },
        headers: { authorization: `Bearer ${tokens.accessToken}` },
      });
      expect(deleted.statusCode, deleted.body).toBe(204);
      await t.deliver();

      const types = [
        'user.created',
        'user.email_verified',
        'user.password_changed',
        'user.deleted',
      ];
      const mine = () => consumer.received.filter((r) => r.body.subject === user.id);
      await consumer.waitFor(
        () => types.every((type) => mine().some((r) => r.routingKey === type)),
        'the four lifecycle events',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(mine().map((r) => r.routingKey)).toEqual(types);
      for (const message of mine()) {
        expect(message.body).toMatchObject({
          specversion: '1.0',
          type: message.routingKey,
          source: 'http://gatehouse.test',
          subject: user.id,
          datacontenttype: 'application/json',
        });
        expect(message.messageId).toBe(message.body.id);
        expect(message.contentType).toBe('application/cloudevents+json');
        expect(message.persistent).toBe(true);
        expect(Number.isNaN(Date.parse(message.body.time))).toBe(false);
        expect(JSON.stringify(message.body)).not.toContain(account.password);
        expect(JSON.stringify(message.body)).not.toContain(newPassword);
        expect(JSON.stringify(message.body)).not.toContain(code);
      }
      expect(mine()[0]!.body.data).toMatchObject({ id: user.id, email: account.email });
      expect(mine()[1]!.body.data).toEqual({ id: user.id, email: account.email });
      expect(mine()[3]!.body.data).toEqual({ id: user.id });
    });
  });

  describe('a broker outage', () => {
    let t: TestApp;
    let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
    beforeAll(async () => {
      const target = new URL(url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
      const viaProxy = new URL(url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      t = await buildTestApp({
        env: { AMQP_URL: viaProxy.toString(), AMQP_EXCHANGE: exchange },
        bus: new AmqpEventBus({ url: viaProxy.toString(), exchange, confirmTimeoutMs: 2_000 }),
      });
    });
    afterAll(async () => {
      await t.close();
      await proxy.down();
    });

    it('registrations succeed while the broker is unreachable; every event arrives once after', async () => {
      // A live connection first, so the outage also cuts an open channel.
      const before = await registerUser(t.app);
      await t.deliver();
      await consumer.waitFor(
        () => consumer.received.some((r) => r.body.subject === before.user.id),
        'the event sent before the outage',
      );

      await proxy.down();
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const response = await post(t.app, '/auth/register', newAccount());
        expect(response.statusCode, response.body).toBe(201);
        ids.push(json(response).user.id);
      }
      const during = await t.deliver();
      expect(during.retried).toBe(5);
      expect(during.parked).toBe(0);

      await proxy.up();
      t.clock.advance(3_600_000);
      const after = await t.deliver();
      expect(after.retried).toBe(0);

      const createdFor = (id: string) =>
        consumer.received.filter((r) => r.routingKey === 'user.created' && r.body.subject === id);
      await consumer.waitFor(() => ids.every((id) => createdFor(id).length > 0), 'the 5 events');
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const id of ids) expect(createdFor(id)).toHaveLength(1);
      const eventIds = ids.map((id) => createdFor(id)[0]!.body.id as string);
      expect(new Set(eventIds).size).toBe(5);
    });
  });
});
