import { eq, sql } from 'drizzle-orm';
import type { Database, Db } from '../../adapters/db/index.js';
import { users } from '../../adapters/db/schema.js';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type ProfileChanges = Partial<Pick<UserRow, 'fullName' | 'username' | 'metadata'>>;

/** The only code touching `users`. */
export class UserRepository {
  private readonly db: Db;
  // Lookups on every login and profile read: prepared once, not rebuilt per call.
  private readonly byId;
  private readonly byEmail;
  private readonly byUsername;

  constructor(database: Database) {
    this.db = database.db;
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

  async insert(values: NewUser): Promise<UserRow> {
    const [row] = await this.db.insert(users).values(values).returning();
    return row!;
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

  async update(id: string, changes: ProfileChanges, now: Date): Promise<UserRow | undefined> {
    const [row] = await this.db
      .update(users)
      .set({ ...changes, updatedAt: now })
      .where(eq(users.id, id))
      .returning();
    return row;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.update(users).set({ passwordHash }).where(eq(users.id, id));
  }
}
