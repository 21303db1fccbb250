import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { SealedBox } from './sealed-box.js';

export interface KeyEncryptionChoice {
  box: SealedBox | undefined;
  /** Where the key came from, for the start-up log (never the key itself). */
  source: 'env' | 'embedded-file' | 'none';
}

/**
 * KEY_ENCRYPTION_KEY wins. Embedded mode (PGlite) generates a key file beside the database,
 * readable by the owner only. On PostgreSQL without a key, secrets are stored plain: replicas
 * cannot share a local file, and the caller logs a warning.
 */
export function chooseKeyEncryption(options: {
  keyEncryptionKey: string | undefined;
  embedded: boolean;
  dataDir: string;
}): KeyEncryptionChoice {
  if (options.keyEncryptionKey) {
    return { box: new SealedBox(options.keyEncryptionKey), source: 'env' };
  }
  if (!options.embedded) return { box: undefined, source: 'none' };
  const file = path.join(options.dataDir, 'keys', 'key-encryption.key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it between the check and the write: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  const key = readFileSync(file, 'utf8').trim();
  // An empty file (a crash or full disk between create and write) would otherwise yield a key
  // anyone can derive; the same 32-byte floor as KEY_ENCRYPTION_KEY.
  if (Buffer.byteLength(key) < 32) {
    throw new Error(
      `${file} is empty or shorter than 32 bytes; restore it or set KEY_ENCRYPTION_KEY`,
    );
  }
  return { box: new SealedBox(key), source: 'embedded-file' };
}
