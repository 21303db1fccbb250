import type { Executor, Tx } from '../../adapters/db/index.js';
import type { Transactor } from '../../adapters/db/transaction.js';
import type { MailTemplate } from '../../adapters/mail/templates.js';
import type { RequestContext } from '../../request-context.js';
import type { AuditService } from '../audit/service.js';
import type { AuditEntry } from '../audit/types.js';
import type { Outbox } from './outbox.js';
import type { EventData } from './types.js';

/**
 * Hooks other modules react to inside a change's transaction that are never published: they
 * name a moment (an account about to be erased), not a fact the platform is told about.
 */
export interface InProcessEvents {
  /** The account's row is anonymised; whatever else is kept about it must go now. */
  'user.erasing': { id: string };
}

const IN_PROCESS_ONLY: ReadonlySet<string> = new Set<keyof InProcessEvents>(['user.erasing']);

/** Every event of the seam: the published ones (DESIGN §5) and the in-process hooks. */
export type DomainEventMap = EventData & InProcessEvents;
export type DomainEventType = keyof DomainEventMap;

export interface EmitOptions {
  context: RequestContext;
  /**
   * The audit row(s) of the change, written with the same transaction. Required so every call
   * site decides: `null` only when another entry of the same action already covers it.
   */
  audit: AuditEntry | readonly AuditEntry[] | null;
  /** False: subscribers and audit only, no outbox row (an import run with --no-events). */
  publish?: boolean;
  /** Runs once the transaction has committed (metrics); never on rollback. */
  afterCommit?: () => void;
}

export interface EmitManyOptions extends Omit<EmitOptions, 'audit'> {
  audit: readonly AuditEntry[];
}

/**
 * Reacts to an event inside the transaction that emits it; `items` holds one event for `emit`
 * and all of them for `emitMany`. Throwing rolls the whole change back.
 */
export type Subscriber<T extends DomainEventType> = (
  tx: Tx,
  items: readonly DomainEventMap[T][],
  meta: { context: RequestContext },
) => Promise<void>;

/**
 * The one seam for side effects of a change, used with the change's own transaction: the
 * outbox event, the audit row and the other modules' in-transaction reactions all commit or
 * roll back together with it, and metrics follow only a commit. A crash right after COMMIT
 * therefore loses nothing: there is no "after the commit" step left to lose.
 */
export class DomainEvents {
  private readonly subscribers = new Map<DomainEventType, Subscriber<DomainEventType>[]>();

  constructor(
    private readonly deps: {
      outbox: Outbox;
      audit: Pick<AuditService, 'recordWithin' | 'recordNow'>;
      transaction: Pick<Transactor, 'afterCommit'>;
    },
  ) {}

  /**
   * Registers `subscriber` for `type`; subscribers run in registration order. Modules call it
   * from their `subscribe(events)` method, which `createServices` calls once.
   */
  subscribe<T extends DomainEventType>(type: T, subscriber: Subscriber<T>): void {
    const list = this.subscribers.get(type) ?? [];
    list.push(subscriber as unknown as Subscriber<DomainEventType>);
    this.subscribers.set(type, list);
  }

  /** One event: outbox row (subject `data.id`), audit row(s), subscribers, then `afterCommit`. */
  async emit<T extends DomainEventType>(
    tx: Tx,
    type: T,
    data: DomainEventMap[T],
    options: EmitOptions,
  ): Promise<void> {
    const audit = options.audit === null ? [] : ([] as AuditEntry[]).concat(options.audit);
    await this.emitMany(tx, type, [data], { ...options, audit });
  }

  /**
   * The bulk path: many events of one type with one multi-row insert into the outbox, one into
   * the audit log, and each subscriber called once with all of them.
   */
  async emitMany<T extends DomainEventType>(
    tx: Tx,
    type: T,
    items: readonly DomainEventMap[T][],
    options: EmitManyOptions,
  ): Promise<void> {
    if (items.length === 0 && options.audit.length === 0) return;
    if (options.publish !== false && !IN_PROCESS_ONLY.has(type)) {
      await this.deps.outbox.events(
        tx,
        type as keyof EventData,
        items.map((data) => ({ subject: data.id, data: data as EventData[keyof EventData] })),
      );
    }
    await this.deps.audit.recordWithin(tx, options.context, options.audit);
    for (const subscriber of this.subscribers.get(type) ?? []) {
      await subscriber(tx, items, { context: options.context });
    }
    if (options.afterCommit) this.deps.transaction.afterCommit(tx, options.afterCommit);
  }

  /** Audit-only entries of a change (a login, a revoked session), in its transaction. */
  record(tx: Executor, context: RequestContext, ...entries: AuditEntry[]): Promise<void> {
    return this.deps.audit.recordWithin(tx, context, entries);
  }

  /**
   * Entries with no change to go with (a refused attempt on a locked identifier, the summary of
   * an import): written at once, and a failure is the caller's error, never swallowed.
   */
  recordNow(context: RequestContext, ...entries: AuditEntry[]): Promise<void> {
    return this.deps.audit.recordNow(context, ...entries);
  }

  /** A mail job (codes, links, security notices), delivered by the worker once committed. */
  mail(tx: Executor, userId: string, to: string, mail: MailTemplate): Promise<void> {
    return this.deps.outbox.mail(tx, userId, to, mail);
  }

  /** Undelivered mail to an account being erased goes with it. */
  dropMailFor(tx: Executor, userId: string): Promise<void> {
    return this.deps.outbox.dropMailFor(tx, userId);
  }

  /** Work after COMMIT only (metrics); see `Transactor.afterCommit`. */
  afterCommit(tx: Tx, effect: () => void): void {
    this.deps.transaction.afterCommit(tx, effect);
  }
}
