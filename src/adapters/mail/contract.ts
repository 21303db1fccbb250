import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailTransport, OutgoingMail } from './types.js';

/** What arrived on the far side, as far as the transport carries it. */
export interface ArrivedMail {
  to: string;
  subject: string;
  text: string;
  /** Undefined for transports that carry text only (the notification service). */
  html: string | undefined;
}

export interface MailFixture {
  transport: MailTransport;
  arrived(): Promise<ArrivedMail[]>;
  close(): Promise<void>;
}

function sampleMail(): OutgoingMail {
  return {
    id: randomUUID(),
    from: 'Gatehouse <no-reply@example.com>',
    to: `${randomUUID().slice(0, 8)}@example.com`,
    subject: 'Confirm your email address — Zoë',
    text: `Your code: 042917\n\nConfirm: https://id.example.com/api/v1/auth/verify-email?token=${'A'.repeat(43)}\n`,
    html: '<p>Your code: <strong>042917</strong></p>',
  };
}

/** What every MailTransport must do, run against each implementation. */
export function mailTransportContract(name: string, open: () => Promise<MailFixture>): void {
  describe(`MailTransport contract: ${name}`, () => {
    let fixture: MailFixture;
    beforeAll(async () => {
      fixture = await open();
    });
    afterAll(async () => {
      await fixture.close();
    });

    it('delivers recipient, subject and bodies intact once send resolves', async () => {
      const mail = sampleMail();
      await fixture.transport.send(mail);
      const arrived = (await fixture.arrived()).filter((m) => m.to.includes(mail.to));
      expect(arrived).toHaveLength(1);
      expect(arrived[0]!.subject).toBe(mail.subject);
      expect(arrived[0]!.text.trim()).toBe(mail.text.trim());
      if (arrived[0]!.html !== undefined)
        expect(arrived[0]!.html).toContain('<strong>042917</strong>');
    });

    it('sends several mails, each once', async () => {
      const mails = [sampleMail(), sampleMail(), sampleMail()];
      for (const mail of mails) await fixture.transport.send(mail);
      const arrived = await fixture.arrived();
      for (const mail of mails)
        expect(arrived.filter((m) => m.to.includes(mail.to))).toHaveLength(1);
    });
  });
}
