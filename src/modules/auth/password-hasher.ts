import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` of @node-rs/argon2 (an ambient const enum we cannot import). */
const ARGON2ID = 2;

export interface Argon2Params {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

/** OWASP's argon2id recommendation, and Gatehouse's production default. */
export const PRODUCTION_ARGON2: Argon2Params = { memoryKib: 19_456, iterations: 2, parallelism: 1 };

/**
 * argon2id via @node-rs/argon2, whose async calls run on libuv's thread pool: hashing never
 * blocks the event loop.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly params: Argon2Params) {}

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.params.memoryKib,
      timeCost: this.params.iterations,
      parallelism: this.params.parallelism,
    });
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      // A malformed stored hash must fail closed, not surface as a 500.
      return false;
    }
  }

  /**
   * Spends the time of one real verification, for logins whose account does not exist or has
   * no password: the response time then says nothing about which accounts exist.
   */
  async burn(password: string): Promise<void> {
    await this.verify(await this.dummyHashOnce(), password);
  }

  /** Computes the decoy hash ahead of the first unknown-user login, which would pay for it. */
  warmUp(): Promise<void> {
    return this.dummyHashOnce().then(() => undefined);
  }

  private dummyHashOnce(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('base64url'));
    return this.dummyHash;
  }

  /** True when the stored hash is not argon2id with the current parameters. */
  needsRehash(passwordHash: string): boolean {
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
    if (!match) return true;
    return (
      Number(match[1]) !== this.params.memoryKib ||
      Number(match[2]) !== this.params.iterations ||
      Number(match[3]) !== this.params.parallelism
    );
  }
}
