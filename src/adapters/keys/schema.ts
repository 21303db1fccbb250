import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from '../db/columns.js';

/** Owned by the signing keys (signing-key-repository.ts). */

export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  /** PKCS#8 PEM, plain or sealed with AES-256-GCM (see `encryption`). */
  privateKey: text('private_key').notNull(),
  encryption: text('encryption').$type<'none' | 'aes-256-gcm'>().notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  notBefore: timestamptz('not_before').notNull().defaultNow(),
  retireAfter: timestamptz('retire_after'),
});
