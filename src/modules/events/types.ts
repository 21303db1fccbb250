/**
 * The user lifecycle events of DESIGN §5 and their `data`. Events carry no secrets: no
 * password, hash, token or code, ever.
 */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.email_verified',
  'user.email_changed',
  'user.password_changed',
  'user.password_reset',
  'user.locked',
  'user.unlocked',
  'user.mfa_enabled',
  'user.mfa_disabled',
  'user.roles_changed',
  'user.session_compromised',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface UserSnapshot {
  id: string;
  email: string | null;
  username: string | null;
  full_name: string | null;
  email_verified: boolean;
  status: string;
}

/** `data` of each event type this module emits today. */
export interface EventData {
  'user.created': UserSnapshot & { created_at: string };
  'user.updated': UserSnapshot & { changed: string[] };
  'user.deleted': { id: string };
  'user.email_verified': { id: string; email: string };
  'user.email_changed': { id: string; email: string; previous_email: string | null };
  'user.password_changed': { id: string };
  'user.password_reset': { id: string };
  'user.locked': { id: string; reason: string; locked_until: string | null };
  'user.unlocked': { id: string };
  'user.roles_changed': { id: string; roles: string[]; previous_roles: string[] };
  'user.mfa_enabled': { id: string };
  'user.mfa_disabled': { id: string };
  'user.session_compromised': { id: string; session_id: string; reason: 'refresh_token_reuse' };
}
