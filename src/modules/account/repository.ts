import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database, Db, Executor } from '../../adapters/db/index.js';
import { statementChunks } from '../../adapters/db/raw.js';
import { users } from './schema.js';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type ProfileChanges = Partial<Pick<UserRow, 'fullName' | 'username' | 'metadata'>>;
/** What an administrator may change besides the profile. */
export type AccountChanges = ProfileChanges &
  Partial<Pick<UserRow, 'email' | 'emailVerifiedAt' | 'status'>>;

/** A page of `users export`: keyset on (created_at, id); the cursor keeps the microseconds. */
const EXPORT_PAGE = `
SELECT u.id, u.email, u.username, u.full_name AS "fullName",
       u.email_verified_at AS "emailVerifiedAt", u.created_at AS "createdAt",
       u.created_at::text AS "cursor", u.metadata, u.password_hash AS "passwordHash"
FROM users u
WHERE u.status <> 'deleted'
  AND ($1::timestamptz IS NULL OR (u.created_at, u.id) > ($1::timestamptz, $2::uuid))
ORDER BY u.created_at, u.id
LIMIT $3`;

export interface ExportedAccount {
  id: string;
  email: string | null;
  username: string | null;
  fullName: string | null;
  emailVerifiedAt: Date | string | null;
  createdAt: Date | string;
  /** `created_at` as PostgreSQL prints it, to the microsecond: where the next page starts. */
  cursor: string;
  metadata: Record<string, unknown>;
  passwordHash: string | null;
}

export interface ExportCursor {
  createdAt: string;
  id: string;
}

/** The only code touching `users` (the admin directory reads it too; see its comment). */
export class UserRepository {
  private readonly db: Db;
  private readonly database: Database;
  // Lookups on every login and profile read: prepared once, not rebuilt per call.
  private readonly byId;
  private readonly byEmail;
  private readonly byUsername;

  constructor(database: Database) {
    this.db = database.db;
    this.database = database;
    const lookup = (column: typeof users.id | typeof users.email | typeof users.username) =>
      this.db
        .select()
        .from(users)
        .where(eq(column, sql.placeholder('value')))
        .limit(1);
    this.byId = lookup(users.id).prepare('user_by_id');
    this.byEmail = lookup(users.email).prepare('user_by_email');
    this.byUsername = lookup(users.username).prepare('user_by_username');
  }

  async insert(values: NewUser, executor: Executor = this.db): Promise<UserRow> {
    const [row] = await executor.insert(users).values(values).returning();
    return row!;
  }

  /**
   * Inserts the accounts that conflict with nothing (id, email or username taken) and returns
   * them; the others are skipped, not errors (the import reports them).
   */
  async insertMany(tx: Executor, values: readonly NewUser[]): Promise<UserRow[]> {
    const inserted: UserRow[] = [];
    for (const chunk of statementChunks(values)) {
      inserted.push(...(await tx.insert(users).values(chunk).onConflictDoNothing().returning()));
    }
    return inserted;
  }

  /** Accounts that are not deleted, oldest first, after `after`. */
  exportPage(after: ExportCursor | undefined, limit: number): Promise<ExportedAccount[]> {
    return this.database.query<ExportedAccount>('account_export_page', EXPORT_PAGE, [
      after?.createdAt ?? null,
      after?.id ?? null,
      limit,
    ]);
  }

  async findById(id: string): Promise<UserRow | undefined> {
    return (await this.byId.execute({ value: id }))[0];
  }

  /** citext columns: the comparison ignores case. */
  async findByEmail(email: string): Promise<UserRow | undefined> {
    return (await this.byEmail.execute({ value: email }))[0];
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    return (await this.byUsername.execute({ value: username }))[0];
  }

  /** How many of `ids` are active accounts (the last-admin check). */
  async countActive(executor: Executor, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [row] = await executor
      .select({ count: sql<number>`count(*)::int` })
      .from(users)
      .where(and(inArray(users.id, [...ids]), eq(users.status, 'active')));
    return Number(row?.count ?? 0);
  }

  /** Reads the account and locks its row until the caller's transaction ends. */
  async findForUpdate(tx: Executor, id: string): Promise<UserRow | undefined> {
    const [row] = await tx.select().from(users).where(eq(users.id, id)).for('update');
    return row;
  }

  async update(
    id: string,
    changes: AccountChanges,
    now: Date,
    executor: Executor = this.db,
  ): Promise<UserRow | undefined> {
    const [row] = await executor
      .update(users)
      .set({ ...changes, updatedAt: now })
      .where(eq(users.id, id))
      .returning();
    return row;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.update(users).set({ passwordHash }).where(eq(users.id, id));
  }

  /** Marks `email` verified, only if it is still the account's address. */
  async markEmailVerified(
    tx: Executor,
    id: string,
    email: string,
    now: Date,
  ): Promise<UserRow | undefined> {
    const [row] = await tx
      .update(users)
      .set({ emailVerifiedAt: now, updatedAt: now })
      .where(and(eq(users.id, id), eq(users.email, email), ne(users.status, 'deleted')))
      .returning();
    return row;
  }

  /** Switches the address (already proven by a code): it is verified from now on. */
  async changeEmail(
    tx: Executor,
    id: string,
    email: string,
    now: Date,
  ): Promise<UserRow | undefined> {
    const [row] = await tx
      .update(users)
      .set({ email, emailVerifiedAt: now, updatedAt: now })
      .where(and(eq(users.id, id), eq(users.status, 'active')))
      .returning();
    return row;
  }

  async changePassword(tx: Executor, id: string, passwordHash: string, now: Date): Promise<void> {
    await tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, id));
  }

  /**
   * Erases the personal data of an account in place: the row (and its id, which other services
   * hold) stays as `deleted`; email and username become free for anyone.
   */
  async anonymise(tx: Executor, id: string, now: Date): Promise<UserRow | undefined> {
    const [row] = await tx
      .update(users)
      .set({
        email: null,
        username: null,
        fullName: null,
        passwordHash: null,
        emailVerifiedAt: null,
        metadata: {},
        status: 'deleted',
        updatedAt: now,
      })
      .where(and(eq(users.id, id), ne(users.status, 'deleted')))
      .returning();
    return row;
  }
}
