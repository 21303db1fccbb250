import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.js';
import { signingKeys } from './schema.js';

export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type NewSigningKey = typeof signingKeys.$inferInsert;

/** Arbitrary but fixed advisory lock id serializing key creation and rotation across replicas. */
const KEY_LOCK_ID = 7_041_998_312;

export class SigningKeyRepository {
  constructor(private readonly db: Db) {}

  /** Keys that may still verify tokens: not retired yet. Newest first. */
  listUsable(now: Date): Promise<SigningKeyRow[]> {
    return this.db
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.retireAfter), gt(signingKeys.retireAfter, now)))
      .orderBy(desc(signingKeys.notBefore), desc(signingKeys.createdAt));
  }

  /**
   * Inserts the key made by `create` unless a usable key of `alg` already exists. Runs under a
   * transaction-level advisory lock: replicas starting together create exactly one key.
   */
  async ensureKey(alg: string, now: Date, create: () => Promise<NewSigningKey>): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${KEY_LOCK_ID})`);
      const existing = await tx
        .select({ kid: signingKeys.kid })
        .from(signingKeys)
        .where(and(eq(signingKeys.alg, alg), isNull(signingKeys.retireAfter)))
        .limit(1);
      if (existing.length === 0) await tx.insert(signingKeys).values(await create());
    });
  }

  /**
   * Adds a new key and schedules every current key of `alg` to retire at `retireAfter`; retired
   * public keys stay in JWKS until then, so tokens they signed keep verifying.
   */
  async rotate(
    alg: string,
    retireAfter: Date,
    key: NewSigningKey,
    within?: (tx: Tx, kid: string) => Promise<void>,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${KEY_LOCK_ID})`);
      await tx
        .update(signingKeys)
        .set({ retireAfter })
        .where(and(eq(signingKeys.alg, alg), isNull(signingKeys.retireAfter)));
      await tx.insert(signingKeys).values(key);
      await within?.(tx, key.kid);
    });
  }
}
