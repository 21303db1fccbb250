/**
 * The one registry of error codes (DESIGN §3). Every failure a client can see is an `AppError`
 * carrying a stable snake_case code and HTTP status; `http/problem.ts` renders it as RFC 9457
 * problem+json. `cause` is for logs only and never reaches a response.
 */

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    message: string,
    readonly extra: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'AppError';
  }

  /** One line for a terminal or a log: each field with its message, or the detail. */
  summary(): string {
    const fields = this.extra.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
    return fields || this.message;
  }
}

type Factory = (detail?: string, extra?: AppError['extra']) => AppError;

function define(
  code: string,
  status: number,
  title: string,
  defaultDetail: string,
  defaultExtra: AppError['extra'] = {},
): Factory {
  return (detail = defaultDetail, extra = {}) =>
    new AppError(code, status, title, detail, { ...defaultExtra, ...extra });
}

export const errors = {
  badRequest: define('bad_request', 400, 'Bad Request', 'The request could not be read.'),
  validationFailed: (errs: FieldError[], detail?: string) =>
    new AppError(
      'validation_failed',
      422,
      'Validation Failed',
      detail ?? errs.map((e) => `${e.field}: ${e.message}`).join('; '),
      { errors: errs },
    ),
  weakPassword: (reason: string) =>
    new AppError('weak_password', 422, 'Weak Password', reason, {
      errors: [{ field: 'password', message: reason }],
    }),
  invalidCredentials: define(
    'invalid_credentials',
    401,
    'Invalid Credentials',
    'The identifier or password is incorrect.',
  ),
  unauthorized: define('unauthorized', 401, 'Unauthorized', 'A valid bearer token is required.', {
    headers: { 'www-authenticate': 'Bearer' },
  }),
  invalidToken: define('invalid_token', 401, 'Invalid Token', 'The token is invalid or expired.'),
  /** A one-time link token or code that is unknown, used, expired or void (one answer for all). */
  invalidOneTimeToken: define(
    'invalid_token',
    400,
    'Invalid Token',
    'The code or link is invalid, already used or expired.',
  ),
  emailNotVerified: define(
    'email_not_verified',
    403,
    'Email Not Verified',
    'Confirm your email address before logging in.',
  ),
  forbidden: define('forbidden', 403, 'Forbidden', 'You are not allowed to do this.'),
  notFound: define('not_found', 404, 'Not Found', 'The resource was not found.'),
  methodNotAllowed: define(
    'method_not_allowed',
    405,
    'Method Not Allowed',
    'This method is not allowed on this resource.',
  ),
  conflict: define('conflict', 409, 'Conflict', 'The resource already exists.'),
  payloadTooLarge: define(
    'payload_too_large',
    413,
    'Payload Too Large',
    'The request body is too large.',
  ),
  unsupportedMediaType: define(
    'unsupported_media_type',
    415,
    'Unsupported Media Type',
    'Send application/json.',
  ),
  sessionLimitReached: define(
    'session_limit_reached',
    409,
    'Session Limit Reached',
    'This account has reached its number of active sessions.',
  ),
  accountLocked: define('account_locked', 423, 'Account Locked', 'This account is locked.'),
  accountDisabled: define('account_disabled', 403, 'Account Disabled', 'This account is disabled.'),
  rateLimited: define('rate_limited', 429, 'Too Many Requests', 'Too many requests; retry later.'),
  internal: define('internal_error', 500, 'Internal Server Error', 'An unexpected error occurred.'),
  unavailable: define(
    'service_unavailable',
    503,
    'Service Unavailable',
    'The service is temporarily unavailable.',
  ),
} as const;

/** Base of the problem `type` URIs: stable identifiers clients may switch on. */
export const PROBLEM_TYPE_BASE = 'urn:gatehouse:problem:';
