import { randomUUID } from 'node:crypto';
import {
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  importPKCS8,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTHeaderParameters,
} from 'jose';
import type { Clock } from '../../clock.js';
import { errors } from '../../errors.js';
import type { SealedBox } from './sealed-box.js';
import type {
  NewSigningKey,
  SigningKeyRepository,
  SigningKeyRow,
} from './signing-key-repository.js';
import {
  buildAccessToken,
  invalidTokenFrom,
  toVerifiedToken,
  verifyOptions,
  type TokenSettings,
} from './token-claims.js';
import type { AccessTokenClaims, RotationHook, TokenSigner, VerifiedAccessToken } from './types.js';

interface LoadedKey {
  kid: string;
  alg: string;
  notBefore: Date;
  retireAfter: Date | null;
  publicJwk: JWK;
  publicKey: CryptoKey | Uint8Array;
  /** Loaded lazily: verifying replicas never need to decrypt private keys. */
  privateKey?: Promise<CryptoKey>;
  row: SigningKeyRow;
}

/** Re-read keys at most this often, so a rotation made by another replica is picked up. */
const RELOAD_INTERVAL_MS = 60_000;
/** An unknown kid triggers a reload, but no more often than this (no DB amplification). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

/**
 * ES256 / EdDSA / RS256 signing with keys stored in `signing_keys`. The first replica to start
 * generates a key; all share it; retired keys stay in JWKS until `retire_after`.
 */
export class AsymmetricTokenSigner implements TokenSigner {
  private keys: LoadedKey[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  private constructor(
    readonly algorithm: 'ES256' | 'EdDSA' | 'RS256',
    private readonly repository: SigningKeyRepository,
    private readonly box: SealedBox | undefined,
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {}

  static async create(options: {
    algorithm: 'ES256' | 'EdDSA' | 'RS256';
    repository: SigningKeyRepository;
    box: SealedBox | undefined;
    settings: TokenSettings;
    clock: Clock;
  }): Promise<AsymmetricTokenSigner> {
    const signer = new AsymmetricTokenSigner(
      options.algorithm,
      options.repository,
      options.box,
      options.settings,
      options.clock,
    );
    await options.repository.ensureKey(options.algorithm, options.clock.now(), () =>
      signer.generateKey(),
    );
    await signer.reload();
    // Fail at start, not on every login, when the key that sealed the signing key is gone.
    const active = signer.activeKey();
    active.privateKey = signer.decryptPrivateKey(active.row);
    await active.privateKey;
    return signer;
  }

  async sign(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }> {
    this.reloadIfStale();
    const key = this.activeKey();
    key.privateKey ??= this.decryptPrivateKey(key.row);
    const token = await buildAccessToken(claims, this.settings, this.clock, {
      alg: key.alg,
      kid: key.kid,
    }).sign(await key.privateKey);
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    this.reloadIfStale();
    try {
      const { payload } = await jwtVerify(
        token,
        async (header: JWTHeaderParameters) => {
          const key = await this.findKey(header.kid);
          if (!key || key.alg !== header.alg) throw errors.invalidToken();
          return key.publicKey;
        },
        verifyOptions(this.settings, this.clock, [this.algorithm]),
      );
      return toVerifiedToken(payload);
    } catch (error) {
      throw invalidTokenFrom(error);
    }
  }

  async jwks(): Promise<JSONWebKeySet> {
    this.reloadIfStale();
    const now = this.clock.now();
    return {
      keys: this.keys
        .filter((k) => k.retireAfter === null || k.retireAfter > now)
        .map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })),
    };
  }

  async rotate(within?: RotationHook): Promise<string> {
    const key = await this.generateKey();
    // Old keys keep verifying for one access-token lifetime plus a minute of clock skew.
    const retireAfter = new Date(
      this.clock.now().getTime() + (this.settings.ttlSeconds + 60) * 1000,
    );
    await this.repository.rotate(this.algorithm, retireAfter, key, within);
    await this.reload();
    return key.kid;
  }

  private activeKey(): LoadedKey {
    const now = this.clock.now();
    const active = this.keys.find(
      (k) => k.alg === this.algorithm && k.retireAfter === null && k.notBefore <= now,
    );
    // Falls back to the newest key of our algorithm (clock skew at first start).
    const chosen = active ?? this.keys.find((k) => k.alg === this.algorithm);
    if (!chosen) throw errors.unavailable('No signing key is available.');
    return chosen;
  }

  private async findKey(kid: string | undefined): Promise<LoadedKey | undefined> {
    if (!kid) return undefined;
    let key = this.keys.find((k) => k.kid === kid);
    if (!key && Date.now() - this.loadedAt > UNKNOWN_KID_RELOAD_MS) {
      await this.reload();
      key = this.keys.find((k) => k.kid === kid);
    }
    return key;
  }

  private reloadIfStale(): void {
    if (Date.now() - this.loadedAt > RELOAD_INTERVAL_MS) {
      // Serve with the keys we have; the fresh set arrives in the background.
      this.reload().catch(() => undefined);
    }
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.repository.listUsable(this.clock.now());
        const previous = new Map(this.keys.map((k) => [k.kid, k]));
        this.keys = await Promise.all(
          rows.map(async (row) => {
            const known = previous.get(row.kid);
            if (known) return { ...known, retireAfter: row.retireAfter, row };
            const publicJwk = row.publicJwk as JWK;
            return {
              kid: row.kid,
              alg: row.alg,
              notBefore: row.notBefore,
              retireAfter: row.retireAfter,
              publicJwk,
              publicKey: await importJWK(publicJwk, row.alg),
              row,
            };
          }),
        );
        this.loadedAt = Date.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private async decryptPrivateKey(row: SigningKeyRow): Promise<CryptoKey> {
    let pem = row.privateKey;
    if (row.encryption === 'aes-256-gcm') {
      if (!this.box) {
        throw new Error(`signing key ${row.kid} is encrypted but KEY_ENCRYPTION_KEY is not set`);
      }
      try {
        pem = this.box.open(row.privateKey, `signing-key:${row.kid}`);
      } catch (error) {
        throw new Error(
          `signing key ${row.kid} cannot be decrypted: KEY_ENCRYPTION_KEY (or the embedded ` +
            'key file in DATA_DIR/keys) is not the one it was sealed with',
          { cause: error },
        );
      }
    }
    return importPKCS8(pem, row.alg);
  }

  private async generateKey(): Promise<NewSigningKey> {
    const { publicKey, privateKey } = await generateKeyPair(this.algorithm, {
      extractable: true,
      ...(this.algorithm === 'RS256' ? { modulusLength: 3072 } : {}),
    });
    const kid = randomUUID();
    const pem = await exportPKCS8(privateKey);
    return {
      kid,
      alg: this.algorithm,
      publicJwk: (await exportJWK(publicKey)) as Record<string, unknown>,
      privateKey: this.box ? this.box.seal(pem, `signing-key:${kid}`) : pem,
      encryption: this.box ? 'aes-256-gcm' : 'none',
      notBefore: this.clock.now(),
    };
  }
}
