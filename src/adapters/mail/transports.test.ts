import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMailbox } from '../../../test/helpers/mailbox.js';
import { startNotificationService, startSmtpServer } from '../../../test/helpers/servers.js';
import { mailTransportContract } from './contract.js';
import { FileMailTransport } from './file.js';
import { HttpMailTransport } from './http.js';
import { SmtpMailTransport } from './smtp.js';

mailTransportContract('file mailbox', async () => {
  const directory = path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-mail-')), 'mailbox');
  const transport = new FileMailTransport(directory);
  return {
    transport,
    arrived: async () => readMailbox(directory),
    close: () => transport.close(),
  };
});

mailTransportContract('SMTP', async () => {
  const server = await startSmtpServer();
  const transport = new SmtpMailTransport(server.url);
  return {
    transport,
    arrived: async () => server.received,
    async close() {
      await transport.close();
      await server.close();
    },
  };
});

mailTransportContract('notification service', async () => {
  const service = await startNotificationService();
  const transport = new HttpMailTransport(service.url);
  return {
    transport,
    arrived: async () =>
      service.received.map(({ body }) => ({
        to: body.to,
        subject: body.subject,
        text: body.message,
        html: undefined,
      })),
    async close() {
      await transport.close();
      await service.close();
    },
  };
});

describe('transport failures reject (so the worker retries)', () => {
  it('SMTP refusing the recipient', async () => {
    const server = await startSmtpServer();
    server.state.refuse = true;
    const transport = new SmtpMailTransport(server.url);
    const mail = {
      id: 'x',
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 's',
      text: 't',
      html: 'h',
    };
    await expect(transport.send(mail)).rejects.toThrow(/try again later/);
    await transport.close();
    await server.close();
  });

  it('the notification service answering 500', async () => {
    const service = await startNotificationService();
    service.state.status = 500;
    const transport = new HttpMailTransport(service.url);
    const mail = {
      id: 'x',
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 's',
      text: 't',
      html: 'h',
    };
    await expect(transport.send(mail)).rejects.toThrow('notification service answered 500');
    await service.close();
  });

  it('the file mailbox writes one file per job id (a retried job replaces its own)', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'gatehouse-mail-'));
    const transport = new FileMailTransport(directory);
    const mail = {
      id: 'job-1',
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 's',
      text: 't',
      html: 'h',
    };
    await transport.send(mail);
    await transport.send(mail);
    expect(readMailbox(directory)).toHaveLength(1);
  });
});
