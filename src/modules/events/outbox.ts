import { randomUUID } from 'node:crypto';
import type { Executor } from '../../adapters/db/index.js';
import type { SealedBox } from '../../adapters/keys/index.js';
import type { MailMessage } from '../../adapters/mail/index.js';
import { renderMail, type MailTemplate } from '../../adapters/mail/templates.js';
import type { Clock } from '../../clock.js';
import type { OutboxRepository, OutboxRow } from './repository.js';
import type { EventData } from './types.js';

/** How a mail job's message is stored: sealed when a key is configured, plain otherwise. */
type MailPayload = { sealed: string } | { message: MailMessage };

/**
 * The outbox rows of a change, written by the DomainEvents seam (other modules call that, not
 * this) with the executor of the change's transaction, so they exist exactly when it committed.
 */
export class Outbox {
  constructor(
    private readonly deps: {
      outbox: OutboxRepository;
      clock: Clock;
      /** Seals mail content at rest (it carries codes and links until it is sent). */
      box: SealedBox | undefined;
    },
  ) {}

  async event<T extends keyof EventData>(
    tx: Executor,
    type: T,
    subject: string,
    data: EventData[T],
  ): Promise<void> {
    await this.events(tx, type, [{ subject, data }]);
  }

  /** Several events of one type in one multi-row insert (the bulk path of the seam). */
  async events<T extends keyof EventData>(
    tx: Executor,
    type: T,
    items: readonly { subject: string; data: EventData[T] }[],
  ): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.outbox.insert(
      tx,
      items.map(({ subject, data }) => ({
        id: randomUUID(),
        kind: 'event' as const,
        type,
        subject,
        payload: { ...data } as Record<string, unknown>,
        createdAt: now,
        nextAttemptAt: now,
      })),
    );
  }

  /** Undelivered mail to a user is dropped with the account. */
  dropMailFor(tx: Executor, userId: string): Promise<void> {
    return this.deps.outbox.deleteMailFor(tx, userId);
  }

  async mail(tx: Executor, subject: string, to: string, mail: MailTemplate): Promise<void> {
    const now = this.deps.clock.now();
    const id = randomUUID();
    const message = renderMail(to, mail);
    const payload: MailPayload = this.deps.box
      ? { sealed: this.deps.box.seal(JSON.stringify(message), `outbox:${id}`) }
      : { message };
    await this.deps.outbox.insert(tx, [
      {
        id,
        kind: 'mail',
        type: mail.template,
        subject,
        payload,
        createdAt: now,
        nextAttemptAt: now,
      },
    ]);
  }
}

/** Reads a mail job's message back (the relay, before sending). */
export function openMailPayload(row: OutboxRow, box: SealedBox | undefined): MailMessage {
  const payload = row.payload as MailPayload;
  if ('message' in payload) return payload.message;
  if (!box) throw new Error('mail job is sealed but no key encryption key is configured');
  return JSON.parse(box.open(payload.sealed, `outbox:${row.id}`)) as MailMessage;
}
