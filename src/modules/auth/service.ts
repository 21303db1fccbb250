import type { AccessTokenClaims, TokenSigner } from '../../adapters/keys/index.js';
import type { LoginOutcome, Metrics } from '../../adapters/telemetry/metrics.js';
import { AppError, errors } from '../../errors.js';
import type { AccountService } from '../account/service.js';
import type { UserRow } from '../account/repository.js';
import type { ClientInfo, SessionService } from '../sessions/service.js';
import type { PasswordHasher } from './password-hasher.js';
import { checkPassword } from './password-policy.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface Registration {
  email?: string | null;
  username?: string | null;
  password: string;
  fullName?: string | null;
}

/** Every account has the built-in `user` role until RBAC assigns more (roles module). */
const DEFAULT_ROLES = ['user'];

/** Registration, password login, refresh and logout: the flows that mint and end sessions. */
export class AuthService {
  constructor(
    private readonly deps: {
      accounts: AccountService;
      sessions: SessionService;
      signer: TokenSigner;
      hasher: PasswordHasher;
      metrics: Pick<Metrics, 'registrations' | 'logins' | 'refreshes' | 'refreshReuseDetections'>;
      passwordMinLength: number;
    },
  ) {}

  async register(input: Registration): Promise<UserRow> {
    const { accounts, hasher } = this.deps;
    const { email, username } = accounts.normalizeNewIdentifiers(input);
    const weakness = checkPassword(input.password, this.deps.passwordMinLength, {
      email,
      username,
    });
    if (weakness) throw errors.weakPassword(weakness);
    const passwordHash = await hasher.hash(input.password);
    const user = await accounts.create({
      email,
      username,
      fullName: input.fullName?.trim() || null,
      passwordHash,
    });
    this.deps.metrics.registrations.inc();
    return user;
  }

  /**
   * Unknown identifier, deleted account and wrong password all cost one argon2 verification
   * and end in the same `invalid_credentials`: neither the body nor the time tells them apart.
   */
  async login(
    identifier: string,
    password: string,
    client: ClientInfo,
  ): Promise<{ user: UserRow; tokens: TokenPair }> {
    try {
      const result = await this.attemptLogin(identifier, password, client);
      this.deps.metrics.logins.inc({ outcome: 'success' });
      return result;
    } catch (error) {
      this.deps.metrics.logins.inc({ outcome: loginOutcome(error) });
      throw error;
    }
  }

  private async attemptLogin(
    identifier: string,
    password: string,
    client: ClientInfo,
  ): Promise<{ user: UserRow; tokens: TokenPair }> {
    const { accounts, hasher } = this.deps;
    const user = await accounts.findByIdentifier(identifier);
    if (!user?.passwordHash) {
      await hasher.burn(password);
      throw errors.invalidCredentials();
    }
    if (!(await hasher.verify(user.passwordHash, password))) throw errors.invalidCredentials();
    // Status is revealed only to someone who knows the password.
    if (user.status === 'locked') throw errors.accountLocked();
    if (user.status !== 'active') throw errors.accountDisabled();
    if (hasher.needsRehash(user.passwordHash)) await this.rehash(user.id, password);
    const amr = ['pwd'];
    const { session, refreshToken } = await this.deps.sessions.start(user.id, client, amr);
    return { user, tokens: await this.issue(user, session.id, amr, refreshToken) };
  }

  async refresh(refreshToken: string): Promise<{ user: UserRow; tokens: TokenPair }> {
    const result = await this.deps.sessions.rotate(refreshToken);
    if (result.kind === 'reuse_detected') {
      this.deps.metrics.refreshReuseDetections.inc();
      throw errors.invalidToken(
        'This refresh token was already used; the session has been ended for safety.',
      );
    }
    const user = await this.deps.accounts.getById(result.session.userId);
    if (!user || user.status !== 'active') {
      await this.deps.sessions.revoke(result.session.id, 'account_inactive');
      throw errors.invalidToken('The account is no longer active.');
    }
    const tokens = await this.issue(
      user,
      result.session.id,
      result.session.amr,
      result.refreshToken,
    );
    this.deps.metrics.refreshes.inc();
    return { user, tokens };
  }

  async logout(sessionId: string): Promise<void> {
    await this.deps.sessions.revoke(sessionId, 'logout');
  }

  async logoutEverywhere(userId: string): Promise<void> {
    await this.deps.sessions.revokeAll(userId, 'logout_all');
  }

  rolesOf(_user: UserRow): string[] {
    return [...DEFAULT_ROLES];
  }

  private async issue(
    user: UserRow,
    sessionId: string,
    amr: string[],
    refreshToken: string,
  ): Promise<TokenPair> {
    const claims: AccessTokenClaims = {
      sub: user.id,
      sid: sessionId,
      email: user.email,
      email_verified: user.emailVerifiedAt !== null,
      preferred_username: user.username,
      roles: this.rolesOf(user),
      amr,
    };
    const { token, expiresIn } = await this.deps.signer.sign(claims);
    return {
      access_token: token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: expiresIn,
    };
  }

  private async rehash(userId: string, password: string): Promise<void> {
    await this.deps.accounts.setPasswordHash(userId, await this.deps.hasher.hash(password));
  }
}

/** The bounded label a failed login is counted under. */
function loginOutcome(error: unknown): LoginOutcome {
  if (!(error instanceof AppError)) return 'error';
  switch (error.code) {
    case 'invalid_credentials':
      return 'bad_credentials';
    case 'account_locked':
      return 'locked';
    case 'account_disabled':
      return 'disabled';
    case 'email_not_verified':
      return 'email_not_verified';
    case 'mfa_required':
      return 'mfa_required';
    case 'rate_limited':
      return 'rate_limited';
    default:
      return 'error';
  }
}
