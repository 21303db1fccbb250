import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LazyNodemailer } from './nodemailer.js';
import type { MailTransport, OutgoingMail } from './types.js';

/**
 * The embedded mailbox: each mail is an RFC 5322 `.eml` file in `directory`, named after its
 * job id (a retried job overwrites its own file, never adds a second one). Written to a
 * temporary name and renamed, so a reader never sees half a message.
 */
export class FileMailTransport implements MailTransport {
  readonly kind = 'file' as const;
  /** nodemailer composes the message without sending it anywhere. */
  private readonly composer = new LazyNodemailer({ streamTransport: true, buffer: true });

  constructor(readonly directory: string) {}

  async send(mail: OutgoingMail): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const info = await this.composer.send(mail);
    const file = path.join(this.directory, `${mail.id}.eml`);
    const partial = `${file}.partial`;
    await writeFile(partial, info.message as Buffer, { mode: 0o600 });
    await rename(partial, file);
  }

  close(): Promise<void> {
    return this.composer.close();
  }
}
