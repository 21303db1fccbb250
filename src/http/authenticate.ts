import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { TokenSigner, VerifiedAccessToken } from '../adapters/keys/index.js';
import { AppError, errors } from '../errors.js';
import type { SessionService } from '../modules/sessions/service.js';

export interface Principal {
  userId: string;
  sessionId: string;
  token: VerifiedAccessToken;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const INVALID_TOKEN_CHALLENGE = { 'www-authenticate': 'Bearer error="invalid_token"' };
const BEARER = /^Bearer ([A-Za-z0-9_.~+/-]+=*)$/i;

/**
 * Bearer guard for Gatehouse's own endpoints. Beyond the signature and expiry that other
 * services check offline, it refuses tokens whose session has been revoked (logout, reuse).
 */
export function createAuthenticate(deps: {
  signer: TokenSigner;
  sessions: Pick<SessionService, 'isActive'>;
}): preHandlerAsyncHookHandler {
  return async function authenticate(request: FastifyRequest) {
    const header = request.headers.authorization;
    const match = header ? BEARER.exec(header) : null;
    if (!match?.[1]) throw errors.unauthorized();
    let token: VerifiedAccessToken;
    try {
      token = await deps.signer.verify(match[1]);
    } catch (error) {
      const detail = error instanceof AppError ? error.message : 'The access token is invalid.';
      throw errors.invalidToken(detail, { cause: error, headers: INVALID_TOKEN_CHALLENGE });
    }
    if (!(await deps.sessions.isActive(token.sid, token.sub))) {
      throw errors.invalidToken('The session has ended; log in again.', {
        headers: INVALID_TOKEN_CHALLENGE,
      });
    }
    request.principal = { userId: token.sub, sessionId: token.sid, token };
  };
}

/** The authenticated caller; only call on routes guarded by `authenticate`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw errors.unauthorized();
  return request.principal;
}
