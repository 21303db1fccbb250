import { scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

/**
 * Password hashes Gatehouse can verify: its own argon2id, and what accounts imported from other
 * systems bring along (bcrypt, argon2i/d, scrypt). Anything but argon2id with the current
 * parameters is rehashed on the next successful login.
 */
export type HashScheme = 'argon2id' | 'argon2i' | 'argon2d' | 'bcrypt' | 'scrypt';

/**
 * Ceilings on the cost a stored hash may ask for. An imported hash chooses its own parameters:
 * without a bound, one row with m=4 GiB or N=2^30 would take the process down at its first login.
 * They sit well above what any library produces by default.
 */
export const HASH_LIMITS = {
  /** argon2 memory in KiB (256 MiB), passes and lanes. */
  argon2MemoryKib: 262_144,
  argon2Iterations: 64,
  argon2Parallelism: 16,
  /** bcrypt cost (log2 rounds): 16 is ~5 s per login already; 31 would be days. */
  bcryptCost: 16,
  /** scrypt: N ≤ 2^20, r ≤ 32, p ≤ 16 and 128·N·r ≤ 256 MiB. */
  scryptLogN: 20,
  scryptR: 32,
  scryptP: 16,
  scryptMemoryBytes: 256 * 1024 * 1024,
} as const;

const ARGON2 =
  /^\$(argon2id|argon2i|argon2d)\$(?:v=(?:16|19)\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})(?:,[a-z]+=[^$]*)*\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;
/** Modular crypt bcrypt: version, two-digit cost, 22 salt and 31 hash characters. */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** PHC / passlib: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`, base64 (passlib's `.` for `+`). */
const SCRYPT_PHC =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/.]+={0,2})\$([A-Za-z0-9+/.]+={0,2})$/;
/** Werkzeug: `scrypt:<N>:<r>:<p>$<salt text>$<hex hash>`, or bare `scrypt` for its defaults. */
const SCRYPT_WERKZEUG = /^scrypt(?::(\d{1,8}):(\d{1,3}):(\d{1,3}))?\$([^$]{1,128})\$([0-9a-f]+)$/;

/** The parameters and expected output of a scrypt hash, whichever format it came in. */
export interface ScryptHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  expected: Buffer;
}

/** Which scheme `hash` is, checking its format and cost bounds only (nothing is computed). */
export function recognizeHash(hash: string): { scheme: HashScheme } | undefined {
  if (hash.length > 1024) return undefined;
  const argon2 = ARGON2.exec(hash);
  if (argon2) {
    const [, scheme, m, t, p] = argon2;
    const withinLimits =
      Number(m) <= HASH_LIMITS.argon2MemoryKib &&
      Number(t) >= 1 &&
      Number(t) <= HASH_LIMITS.argon2Iterations &&
      Number(p) >= 1 &&
      Number(p) <= HASH_LIMITS.argon2Parallelism;
    return withinLimits ? { scheme: scheme as HashScheme } : undefined;
  }
  const bcrypt = BCRYPT.exec(hash);
  if (bcrypt) {
    const cost = Number(bcrypt[1]);
    return cost >= 4 && cost <= HASH_LIMITS.bcryptCost ? { scheme: 'bcrypt' } : undefined;
  }
  if (parseScrypt(hash)) return { scheme: 'scrypt' };
  return undefined;
}

/** Reads either scrypt format; undefined when malformed or past HASH_LIMITS. */
export function parseScrypt(hash: string): ScryptHash | undefined {
  const phc = SCRYPT_PHC.exec(hash);
  if (phc) {
    const [, ln, r, p, salt, expected] = phc;
    if (Number(ln) < 1 || Number(ln) > HASH_LIMITS.scryptLogN) return undefined;
    return bounded({
      n: 2 ** Number(ln),
      r: Number(r),
      p: Number(p),
      salt: fromBase64(salt!),
      expected: fromBase64(expected!),
    });
  }
  const werkzeug = SCRYPT_WERKZEUG.exec(hash);
  if (werkzeug) {
    // Werkzeug's defaults when the method is a bare `scrypt`; its salt is used as text.
    const [, n = '32768', r = '8', p = '1', salt, expected] = werkzeug;
    if (expected!.length % 2 !== 0) return undefined;
    return bounded({
      n: Number(n),
      r: Number(r),
      p: Number(p),
      salt: Buffer.from(salt!, 'utf8'),
      expected: Buffer.from(expected!, 'hex'),
    });
  }
  return undefined;
}

function bounded(hash: ScryptHash): ScryptHash | undefined {
  const { n, r, p } = hash;
  const powerOfTwo = n >= 2 && (n & (n - 1)) === 0;
  const ok =
    powerOfTwo &&
    n <= 2 ** HASH_LIMITS.scryptLogN &&
    r >= 1 &&
    r <= HASH_LIMITS.scryptR &&
    p >= 1 &&
    p <= HASH_LIMITS.scryptP &&
    scryptMemory(n, r) <= HASH_LIMITS.scryptMemoryBytes &&
    hash.salt.length > 0 &&
    hash.expected.length >= 16 &&
    hash.expected.length <= 128;
  return ok ? hash : undefined;
}

function scryptMemory(n: number, r: number): number {
  return 128 * n * r;
}

function fromBase64(text: string): Buffer {
  return Buffer.from(text.replace(/\./g, '+'), 'base64');
}

/**
 * Verifies `password` against a hash of any recognized scheme. Throws on a malformed hash (the
 * caller turns that into `false`); never compares with `===`.
 */
export async function verifyHash(
  scheme: HashScheme,
  hash: string,
  password: string,
): Promise<boolean> {
  switch (scheme) {
    case 'argon2id':
    case 'argon2i':
    case 'argon2d':
      return argon2Verify(hash, password);
    case 'bcrypt':
      return bcryptVerify(password, hash);
    case 'scrypt': {
      const parsed = parseScrypt(hash);
      if (!parsed) return false;
      const actual = await scrypt(password, parsed);
      return timingSafeEqual(actual, parsed.expected);
    }
  }
}

function scrypt(password: string, hash: ScryptHash): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      Buffer.from(password, 'utf8'),
      hash.salt,
      hash.expected.length,
      // node refuses when 128·N·r exceeds maxmem; leave room for its own bookkeeping.
      { N: hash.n, r: hash.r, p: hash.p, maxmem: scryptMemory(hash.n, hash.r) + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}
