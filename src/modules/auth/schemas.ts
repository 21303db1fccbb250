import { Type } from '@sinclair/typebox';
import { TokenPairSchema, UserSchema } from '../../http/schemas.js';

/** Upper bound on what we accept as a password before the policy's own 128-character rule. */
const PASSWORD_INPUT_MAX = 1024;

const Password = Type.String({ minLength: 1, maxLength: PASSWORD_INPUT_MAX });
const Email = Type.String({ format: 'email', maxLength: 254 });
const Username = Type.String({ minLength: 1, maxLength: 64 });
const FullName = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);

export const RegisterBody = Type.Object({
  email: Email,
  username: Type.Optional(Username),
  password: Password,
  full_name: Type.Optional(FullName),
});

export const SignupBody = Type.Object({
  username: Type.Optional(Username),
  user_name: Type.Optional(Username),
  email: Type.Optional(Email),
  password: Password,
  full_name: Type.Optional(FullName),
});

export const RegisteredResponse = Type.Object({
  user: Type.Ref(UserSchema),
  message: Type.String(),
});

export const LoginBody = Type.Object(
  {
    identifier: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    password: Password,
    grant_type: Type.Optional(Type.Literal('password')),
  },
  {
    description:
      'One of identifier, email or username (each accepts an email or a username), and the ' +
      'password. Also accepted as an OAuth2 password-grant form.',
  },
);

export const LoggedInResponse = Type.Composite([
  TokenPairSchema,
  Type.Object({ user: Type.Ref(UserSchema) }),
]);

/** With MFA on, a correct password answers a challenge to finish at `POST /auth/login/mfa`. */
export const MfaChallengeResponse = Type.Object({
  mfa_required: Type.Literal(true),
  challenge_token: Type.String(),
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('backup_code')])),
});

export const LoginResponse = Type.Union([LoggedInResponse, MfaChallengeResponse]);

export const RefreshBody = Type.Object({
  refresh_token: Type.String({ minLength: 1, maxLength: 256 }),
  grant_type: Type.Optional(Type.Literal('refresh_token')),
});

export const UserInfoResponse = Type.Object({
  sub: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  email_verified: Type.Boolean(),
  preferred_username: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
});
