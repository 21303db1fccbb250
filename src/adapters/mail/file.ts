import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { MailTransport, OutgoingMail } from './types.js';

/**
 * The embedded mailbox: each mail is an RFC 5322 `.eml` file in `directory`, named after its
 * job id (a retried job overwrites its own file, never adds a second one). Written to a
 * temporary name and renamed, so a reader never sees half a message.
 */
export class FileMailTransport implements MailTransport {
  readonly kind = 'file' as const;
  /** nodemailer composes the message; loaded at the first mail, not at start-up. */
  private composer: Promise<Transporter> | undefined;

  constructor(readonly directory: string) {}

  async send(mail: OutgoingMail): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    this.composer ??= import('nodemailer').then((m) =>
      m.default.createTransport({ streamTransport: true, buffer: true }),
    );
    const info = await (
      await this.composer
    ).sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${mail.id}@gatehouse>`,
    });
    const file = path.join(this.directory, `${mail.id}.eml`);
    const partial = `${file}.partial`;
    await writeFile(partial, info.message as Buffer, { mode: 0o600 });
    await rename(partial, file);
  }

  async close(): Promise<void> {
    (await this.composer)?.close();
  }
}
