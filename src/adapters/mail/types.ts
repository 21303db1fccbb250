/** A rendered mail: what the templates produce and the transports send. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OutgoingMail extends MailMessage {
  /** The outbox job id: stable across retries, so a transport can deduplicate. */
  id: string;
  from: string;
}

/** Sends one mail; rejects when it was not accepted, so the worker retries it. */
export interface MailTransport {
  readonly kind: 'file' | 'smtp' | 'http';
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}
