import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption for secrets at rest (private signing keys, later TOTP secrets).
 * The key is derived from the operator's KEY_ENCRYPTION_KEY with HKDF, so any long random
 * string works; the output is `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export class SealedBox {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = Buffer.from(
      hkdfSync('sha256', secret, Buffer.alloc(0), 'gatehouse/sealed-box/v1', 32),
    );
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The context (e.g. the key id) is bound as associated data: a sealed value copied to
    // another row does not open.
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) {
      throw new Error('sealed value has an unknown format');
    }
    // A fixed tag length: otherwise GCM accepts a truncated tag (down to 4 bytes), weakening
    // the integrity check to as little as 32 bits.
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
