/**
 * Permissions are `resource:action` strings. A role grants a list of patterns in which either
 * part may be `*` (`users:*`, `*:read`), or the single pattern `*` for everything. Route
 * guards ask for one concrete permission from this catalogue, never for a role name.
 */
export const PERMISSIONS = {
  'users:read': 'List, search and read accounts',
  'users:write': 'Create accounts and change their profile, email or status',
  'users:delete': 'Delete accounts',
  'users:lock': 'Lock and unlock accounts',
  'sessions:revoke': "End another account's sessions",
  'mfa:reset': "Remove another account's second factor",
  'roles:read': 'List roles and their permissions',
  'roles:write': 'Create, change and delete roles',
  'roles:assign': 'Set the roles of an account',
  'audit:read': 'Read the audit log of every account',
} as const;

export type Permission = keyof typeof PERMISSIONS;

const PART = '(?:\\*|[a-z][a-z0-9_-]{0,39})';
const PATTERN = new RegExp(`^(?:\\*|${PART}:${PART})$`);

/** Whether `pattern` is a well-formed permission pattern a role may hold. */
export function isPermissionPattern(pattern: string): boolean {
  return PATTERN.test(pattern);
}

/** Whether one granted pattern covers the concrete `permission`. */
function covers(pattern: string, permission: string): boolean {
  if (pattern === '*') return true;
  const [resource, action] = pattern.split(':');
  const [wantedResource, wantedAction] = permission.split(':');
  return (
    (resource === '*' || resource === wantedResource) && (action === '*' || action === wantedAction)
  );
}

/** Whether any of the `granted` patterns covers `permission`. */
export function isGranted(granted: readonly string[], permission: string): boolean {
  return granted.some((pattern) => covers(pattern, permission));
}

/**
 * Whether holding `granted` includes everything `pattern` would grant: an actor may only hand
 * out (in a role, or by assigning a role) what they hold themselves.
 */
export function includesPattern(granted: readonly string[], pattern: string): boolean {
  if (granted.includes('*')) return true;
  if (pattern === '*') return false;
  const [resource, action] = pattern.split(':') as [string, string];
  return granted.some((held) => {
    const [heldResource, heldAction] = held.split(':');
    return (
      (heldResource === '*' || heldResource === resource) &&
      (heldAction === '*' || heldAction === action)
    );
  });
}

/** The concrete catalogue permissions a set of patterns grants (for display). */
export function effectivePermissions(granted: readonly string[]): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => isGranted(granted, p));
}
