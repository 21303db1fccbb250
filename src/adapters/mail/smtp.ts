import type { Transporter } from 'nodemailer';
import type { MailTransport, OutgoingMail } from './types.js';

/** SMTP through nodemailer: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://`. */
export class SmtpMailTransport implements MailTransport {
  readonly kind = 'smtp' as const;
  /** Created at the first mail: nodemailer is not loaded by processes that send none. */
  private transporter: Promise<Transporter> | undefined;

  constructor(
    private readonly url: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  private async open(): Promise<Transporter> {
    const timeout = this.options.timeoutMs ?? 15_000;
    const parsed = new URL(this.url);
    const { default: nodemailer } = await import('nodemailer');
    return nodemailer.createTransport({
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : parsed.protocol === 'smtps:' ? 465 : 587,
      secure: parsed.protocol === 'smtps:',
      auth: parsed.username
        ? {
            user: decodeURIComponent(parsed.username),
            pass: decodeURIComponent(parsed.password),
          }
        : undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // Never log: the protocol transcript carries the codes.
      logger: false,
      debug: false,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    this.transporter ??= this.open();
    await (
      await this.transporter
    ).sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${mail.id}@gatehouse>`,
    });
  }

  async close(): Promise<void> {
    (await this.transporter)?.close();
  }
}
