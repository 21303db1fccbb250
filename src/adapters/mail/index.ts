import path from 'node:path';
import type { Config } from '../../config.js';
import { FileMailTransport } from './file.js';
import { HttpMailTransport } from './http.js';
import { SmtpMailTransport } from './smtp.js';
import type { MailTransport } from './types.js';

export type { MailMessage, MailTransport, OutgoingMail } from './types.js';
export { FileMailTransport } from './file.js';

/** SMTP_URL, else NOTIFICATION_SERVICE_URL, else the file mailbox in DATA_DIR/mailbox. */
export function createMailTransport(config: Config): MailTransport {
  const { smtpUrl, notificationServiceUrl } = config.lifecycle.mail;
  if (smtpUrl) return new SmtpMailTransport(smtpUrl);
  if (notificationServiceUrl) return new HttpMailTransport(notificationServiceUrl);
  return new FileMailTransport(mailboxDirectory(config));
}

export function mailboxDirectory(config: Config): string {
  return path.join(config.dataDir, 'mailbox');
}
