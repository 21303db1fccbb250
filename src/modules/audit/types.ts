/** Audit event types. */
export const AUDIT_EVENT_TYPES = [
  'auth.login_success',
  'auth.login_failed',
  'auth.logout',
  'auth.logout_all',
  'auth.refresh_reuse_detected',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.locked',
  'user.unlocked',
  'password.changed',
  'password.reset_requested',
  'password.reset_completed',
  'email.verified',
  'mfa.enabled',
  'mfa.disabled',
  'mfa.failed',
  'session.revoked',
  'role.created',
  'role.updated',
  'role.deleted',
  'user.roles_changed',
  'user.invited',
  'mfa.reset',
  'users.imported',
  'keys.rotated',
  'admin.bootstrapped',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEntry {
  type: AuditEventType;
  outcome?: 'success' | 'failure';
  /** Who acted; defaults to the subject (a user acting on their own account). */
  actorUserId?: string | null;
  subjectUserId?: string | null;
  /** Small, and never a secret: no passwords, tokens, codes or hashes of them. */
  detail?: Record<string, string | number | boolean | null | string[]>;
}
