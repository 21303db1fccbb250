import { Type, type Static } from '@sinclair/typebox';

/** Schemas shared by several modules: they feed validation, serialization and OpenAPI. */

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    instance: Type.String(),
    request_id: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.Union([Type.String(), Type.Null()]),
    username: Type.Union([Type.String(), Type.Null()]),
    full_name: Type.Union([Type.String(), Type.Null()]),
    email_verified: Type.Boolean(),
    status: Type.String(),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'User' },
);
export type UserBody = Static<typeof UserSchema>;

export const TokenPairSchema = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Access token lifetime in seconds' }),
});

/** Problem responses to document on a route, by status code. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref(ProblemSchema)]));
}

export const bearerSecurity = [{ bearerAuth: [] as string[] }];
