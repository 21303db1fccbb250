import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseKeyEncryption } from './key-encryption.js';
import { SealedBox } from './sealed-box.js';

const ENV_KEY = 'an-operator-supplied-key-encryption-key-0123456789';
const isWindows = process.platform === 'win32';

describe('chooseKeyEncryption', () => {
  let dataDir: string;
  let keyFile: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-kek-'));
    keyFile = path.join(dataDir, 'keys', 'key-encryption.key');
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('uses KEY_ENCRYPTION_KEY when set, even in embedded mode, and writes no file', () => {
    const choice = chooseKeyEncryption({ keyEncryptionKey: ENV_KEY, embedded: true, dataDir });
    expect(choice.source).toBe('env');
    expect(choice.box).toBeInstanceOf(SealedBox);
    const sealed = choice.box!.seal('private key', 'signing-key:k1');
    expect(new SealedBox(ENV_KEY).open(sealed, 'signing-key:k1')).toBe('private key');
    expect(existsSync(keyFile)).toBe(false);
  });

  it('uses KEY_ENCRYPTION_KEY on PostgreSQL too', () => {
    const choice = chooseKeyEncryption({ keyEncryptionKey: ENV_KEY, embedded: false, dataDir });
    expect(choice.source).toBe('env');
    expect(choice.box).toBeDefined();
  });

  it('stores secrets plain on PostgreSQL without a key, creating no file', () => {
    const choice = chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: false, dataDir });
    expect(choice).toEqual({ box: undefined, source: 'none' });
    expect(existsSync(path.join(dataDir, 'keys'))).toBe(false);
  });

  it('treats an empty KEY_ENCRYPTION_KEY as unset', () => {
    expect(chooseKeyEncryption({ keyEncryptionKey: '', embedded: false, dataDir }).source).toBe(
      'none',
    );
  });

  it('creates DATA_DIR/keys/key-encryption.key in embedded mode, readable by the owner only', () => {
    const choice = chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: true, dataDir });
    expect(choice.source).toBe('embedded-file');
    expect(choice.box).toBeInstanceOf(SealedBox);
    expect(existsSync(keyFile)).toBe(true);
    // 32 random bytes, base64url.
    const key = readFileSync(keyFile, 'utf8');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    if (!isWindows) {
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(keyFile)).mode & 0o077).toBe(0);
    }
  });

  it('creates the data directory itself when it does not exist yet', () => {
    const nested = path.join(dataDir, 'not', 'yet');
    const choice = chooseKeyEncryption({
      keyEncryptionKey: undefined,
      embedded: true,
      dataDir: nested,
    });
    expect(choice.source).toBe('embedded-file');
    expect(existsSync(path.join(nested, 'keys', 'key-encryption.key'))).toBe(true);
  });

  it('reuses the key file: a later start opens what an earlier one sealed', () => {
    const first = chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: true, dataDir });
    const key = readFileSync(keyFile, 'utf8');
    const sealed = first.box!.seal('private key', 'signing-key:k1');

    const second = chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: true, dataDir });
    expect(second.source).toBe('embedded-file');
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(second.box!.open(sealed, 'signing-key:k1')).toBe('private key');
  });

  it('gives different data directories different keys', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-kek-'));
    try {
      const a = chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: true, dataDir });
      const b = chooseKeyEncryption({
        keyEncryptionKey: undefined,
        embedded: true,
        dataDir: other,
      });
      const sealed = a.box!.seal('private key', 'ctx');
      expect(() => b.box!.open(sealed, 'ctx')).toThrow();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('reads an existing key file, ignoring surrounding whitespace', () => {
    const key = 'k'.repeat(43);
    mkdirSync(path.dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, `${key}\n`);
    const choice = chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: true, dataDir });
    const sealed = new SealedBox(key).seal('private key', 'ctx');
    expect(choice.box!.open(sealed, 'ctx')).toBe('private key');
  });

  it.skipIf(isWindows)('tightens the mode of an existing key file to 0600', () => {
    mkdirSync(path.dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, 'k'.repeat(43));
    chmodSync(keyFile, 0o644);
    chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: true, dataDir });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['an empty', ''],
    ['a blank', '  \n'],
    ['a too short', 'short-key'],
  ])('refuses %s key file instead of deriving a guessable key from it', (_, content) => {
    mkdirSync(path.dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, content);
    expect(() =>
      chooseKeyEncryption({ keyEncryptionKey: undefined, embedded: true, dataDir }),
    ).toThrow(/key-encryption\.key/);
    // The file is left for the operator to inspect, not silently replaced.
    expect(readFileSync(keyFile, 'utf8')).toBe(content);
  });
});
