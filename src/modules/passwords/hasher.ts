import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash } from '@node-rs/argon2';
import { recognizeHash, verifyHash } from './legacy-hashes.js';

/** `Algorithm.Argon2id` of @node-rs/argon2 (an ambient const enum we cannot import). */
const ARGON2ID = 2;

export interface Argon2Params {
  memoryKib: number;
  iterations: number;
  parallelism: number;
  /** Hashes running at once; more queue. 0 → one per CPU core. */
  concurrency?: number;
}

/**
 * A counting semaphore. argon2 is CPU- and memory-bound: running more at once than there are
 * cores only adds context switches and 19 MiB blocks, and lets a login burst starve the
 * thread pool that file and DNS work share.
 */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly slots: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** OWASP's argon2id recommendation, and Gatehouse's production default. */
export const PRODUCTION_ARGON2: Argon2Params = { memoryKib: 19_456, iterations: 2, parallelism: 1 };

/**
 * argon2id via @node-rs/argon2, whose async calls run on libuv's thread pool: hashing never
 * blocks the event loop. Imported hashes of other schemes verify too, and `needsRehash` makes
 * the next successful login replace them.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private readonly gate: Gate;

  constructor(private readonly params: Argon2Params) {
    this.gate = new Gate(params.concurrency || availableParallelism());
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() =>
      hash(password, {
        algorithm: ARGON2ID,
        memoryCost: this.params.memoryKib,
        timeCost: this.params.iterations,
        parallelism: this.params.parallelism,
      }),
    );
  }

  /**
   * Verifies against argon2id or an imported bcrypt, argon2i/d or scrypt hash (see
   * legacy-hashes.ts); all of them wait for the same gate, whatever their cost.
   */
  async verify(passwordHash: string, password: string): Promise<boolean> {
    const recognized = recognizeHash(passwordHash);
    if (!recognized) return false;
    try {
      return await this.gate.run(() => verifyHash(recognized.scheme, passwordHash, password));
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
