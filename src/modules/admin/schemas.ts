import { Type, type Static } from '@sinclair/typebox';
import type { UserRow } from '../account/service.js';
import { toPublicUser } from '../account/service.js';
import { UserSchema } from '../../http/schemas.js';

/** An account as administrators see it: the profile plus its roles. */
export const AdminUserSchema = Type.Object(
  {
    ...UserSchema.properties,
    status: Type.String({ description: 'active | locked | disabled | deleted' }),
    roles: Type.Array(Type.String()),
  },
  { $id: 'AdminUser' },
);
export type AdminUserBody = Static<typeof AdminUserSchema>;

export function toAdminUser(user: UserRow, roles: string[]): AdminUserBody {
  return { ...toPublicUser(user), roles };
}
