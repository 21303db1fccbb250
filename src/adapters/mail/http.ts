import type { MailTransport, OutgoingMail } from './types.js';

/**
 * The platform's notification service: `POST {base}/send` with `{to, subject, message}`
 * (`message` is the plain-text body). Any 2xx is delivered; anything else is retried. The job
 * id goes along as `Idempotency-Key`, so a retried delivery can be recognised.
 */
export class HttpMailTransport implements MailTransport {
  readonly kind = 'http' as const;
  private readonly endpoint: string;

  constructor(
    baseUrl: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/send`;
  }

  async send(mail: OutgoingMail): Promise<void> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': mail.id },
      body: JSON.stringify({ to: mail.to, subject: mail.subject, message: mail.text }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    // Drain the body so the connection is reused; its content is not needed.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`notification service answered ${response.status}`);
  }

  async close(): Promise<void> {}
}
