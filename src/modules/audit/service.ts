import type { Executor } from '../../adapters/db/index.js';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { RequestContext } from '../../request-context.js';
import type { AuditEventRow, AuditFilter, AuditRepository, NewAuditEvent } from './repository.js';
import type { AuditEntry } from './types.js';

export interface AuditPage {
  items: AuditEventRow[];
  nextCursor: string | null;
}

export const AUDIT_PAGE_MAX = 100;

/**
 * The security history. Entries describing a change are written in the change's transaction
 * (`recordWithin`, reached through the DomainEvents seam), so they exist exactly when the
 * change committed; `recordNow` is for entries no change goes with. Neither swallows errors.
 */
export class AuditService {
  constructor(
    private readonly deps: {
      audit: AuditRepository;
      clock: Clock;
      retentionDays: number;
    },
  ) {}

  /** Within the caller's transaction: the entries commit or roll back with it. */
  async recordWithin(
    executor: Executor,
    context: RequestContext,
    entries: readonly AuditEntry[],
  ): Promise<void> {
    await this.deps.audit.insertWithin(executor, this.rows(context, entries));
  }

  /** Entries with no state change to go with (a refused attempt, a report): written at once. */
  async recordNow(context: RequestContext, ...entries: AuditEntry[]): Promise<void> {
    await this.deps.audit.insert(this.rows(context, entries));
  }

  private rows(context: RequestContext, entries: readonly AuditEntry[]): NewAuditEvent[] {
    const occurredAt = this.deps.clock.now();
    return entries.map((entry) => ({
      occurredAt,
      type: entry.type,
      outcome: entry.outcome ?? 'success',
      actorUserId:
        entry.actorUserId === undefined ? (entry.subjectUserId ?? null) : entry.actorUserId,
      subjectUserId: entry.subjectUserId ?? null,
      ip: context.ip,
      userAgent: context.userAgent,
      requestId: context.requestId,
      detail: entry.detail ?? {},
    }));
  }

  listForUser(userId: string, limit: number, cursor?: string): Promise<AuditPage> {
    return this.list({ subjectUserId: userId }, limit, cursor);
  }

  /** A page of the events matching `filter`, newest first; `cursor` continues a listing. */
  async list(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = await this.deps.audit.list(filter, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  /** Deletes events past AUDIT_RETENTION_DAYS (0 keeps everything); returns how many. */
  async prune(): Promise<number> {
    if (this.deps.retentionDays === 0) return 0;
    const before = new Date(this.deps.clock.now().getTime() - this.deps.retentionDays * 86_400_000);
    return this.deps.audit.deleteOlderThan(before);
  }
}

/** Opaque to clients: base64url of `<occurred_at ISO>|<seq>` of the last item returned. */
export function encodeCursor(row: { occurredAt: Date; seq: number }): string {
  return Buffer.from(`${row.occurredAt.toISOString()}|${row.seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): { occurredAt: Date; seq: number } {
  const [time, seq] = Buffer.from(cursor, 'base64url').toString().split('|');
  const occurredAt = new Date(time ?? '');
  if (!seq || !/^\d{1,15}$/.test(seq) || Number.isNaN(occurredAt.getTime())) {
    throw errors.validationFailed([{ field: 'cursor', message: 'is not a valid cursor' }]);
  }
  return { occurredAt, seq: Number(seq) };
}

/** `auth.login_failed` exactly, or `auth.*` for every type under `auth.`. */
const TYPE_FILTER = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/;

/** Reads the `type` filter of the admin trail; 422 on the `type` field when malformed. */
export function parseTypeFilter(raw: string): NonNullable<AuditFilter['type']> {
  if (raw.length > 100 || !TYPE_FILTER.test(raw)) {
    throw errors.validationFailed([
      { field: 'type', message: 'must be an event type, or a prefix ending in ".*" (auth.*)' },
    ]);
  }
  return raw.endsWith('.*') ? { prefix: raw.slice(0, -1) } : { exact: raw };
}
