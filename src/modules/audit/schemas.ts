import { Type } from '@sinclair/typebox';
import type { AuditEventRow } from './repository.js';
import { AUDIT_PAGE_MAX } from './service.js';

/** One audit event as the API shows it, to its subject and to administrators. */
export const AuditEventSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String(),
  occurred_at: Type.String({ format: 'date-time' }),
  outcome: Type.String(),
  actor_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

/** `limit` and `cursor` of every audit listing. */
export const AuditPageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
};

export function toAuditEventBody(event: AuditEventRow) {
  return {
    id: event.id,
    type: event.type,
    occurred_at: event.occurredAt.toISOString(),
    outcome: event.outcome,
    actor_id: event.actorUserId,
    ip: event.ip,
    user_agent: event.userAgent,
    request_id: event.requestId,
    detail: event.detail,
  };
}
