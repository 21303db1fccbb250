import { Type, type Static } from '@sinclair/typebox';
import type { UserRow } from '../account/repository.js';
import { toPublicUser } from '../account/service.js';

/** An account as administrators see it: the profile plus status details and roles. */
export const AdminUserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.Union([Type.String(), Type.Null()]),
    username: Type.Union([Type.String(), Type.Null()]),
    full_name: Type.Union([Type.String(), Type.Null()]),
    email_verified: Type.Boolean(),
    status: Type.String({ description: 'active | locked | disabled | deleted' }),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    roles: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'AdminUser' },
);
export type AdminUserBody = Static<typeof AdminUserSchema>;

export function toAdminUser(user: UserRow, roles: string[]): AdminUserBody {
  return { ...toPublicUser(user), roles };
}
