import type { SendMailOptions, Transporter, TransportOptions } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type StreamTransport from 'nodemailer/lib/stream-transport/index.js';
import type { OutgoingMail } from './types.js';

/**
 * A nodemailer transport, created at the first mail: processes that send none never load
 * nodemailer (a large module to hold in memory for nothing).
 */
export class LazyNodemailer {
  private transporter: Promise<Transporter> | undefined;

  constructor(
    private readonly options: SMTPTransport.Options | StreamTransport.Options | TransportOptions,
  ) {}

  async send(mail: OutgoingMail) {
    this.transporter ??= import('nodemailer').then((m) => m.default.createTransport(this.options));
    return (await this.transporter).sendMail(messageOf(mail));
  }

  async close(): Promise<void> {
    (await this.transporter)?.close();
  }
}

/** The nodemailer message for a mail job; its Message-ID is the job id, stable across retries. */
function messageOf(mail: OutgoingMail): SendMailOptions {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${mail.id}@gatehouse>`,
  };
}
