import { and, desc, eq, gte, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { SQL, SQLWrapper } from 'drizzle-orm';
import type { Database, Db } from '../../adapters/db/index.js';
// The one sanctioned read of other modules' tables (eslint.config.js says why).
import { users, type UserStatus } from '../account/schema.js';
import type { UserRow } from '../account/service.js';
import { userRoles } from '../rbac/schema.js';
import { errors } from '../../errors.js';

export const DIRECTORY_PAGE_MAX = 100;
export const SEARCH_MAX_LENGTH = 100;
/** Below this many holders a role filter starts from user_roles (see `holdersOf`). */
const RARE_ROLE_HOLDERS = 10_000;
/**
 * How many of the newest accounts a search tests one by one before it asks the indexes: a
 * short walk (most searches are either common prefixes, done within it, or rare ones, which
 * find almost nothing in it), then a longer one only when the short walk found enough matches
 * to expect two pages from it. Tuned on a million accounts (bench:admin).
 */
const WALKS = [2_000, 10_000];

/**
 * The rows of a page by id, newest first, with their roles (one primary-key probe per row) and
 * `created_at` to the microsecond for the cursor (a JS Date would round it and repeat rows
 * across pages). Its plan never depends on the values: a prepared statement, planned once.
 */
const PAGE_ROWS = `
SELECT u.id AS "id", u.email AS "email", u.username AS "username", u.full_name AS "fullName",
       u.status AS "status", u.email_verified_at AS "emailVerifiedAt",
       u.password_hash AS "passwordHash", u.metadata AS "metadata",
       u.created_at AS "createdAt", u.updated_at AS "updatedAt",
       to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "position",
       ARRAY(SELECT ur.role_name FROM user_roles ur WHERE ur.user_id = u.id ORDER BY ur.role_name)
         AS "roles"
FROM users u
WHERE u.id = ANY($1::uuid[])
ORDER BY u.created_at DESC, u.id DESC`;

type PageRow = UserRow & { position: string; roles: string[] };

export interface DirectoryFilter {
  /** Case-insensitive prefix of the email, the username, the full name or its second word on. */
  q?: string;
  /** Accounts holding this role. */
  role?: string;
  /** Exactly this status; all but `deleted` when absent. */
  status?: UserStatus;
  verified?: boolean;
  /** `created_at >= createdAfter` (inclusive). */
  createdAfter?: Date;
  /** `created_at < createdBefore` (exclusive). */
  createdBefore?: Date;
}

export interface DirectoryEntry {
  user: UserRow;
  roles: string[];
}

export interface DirectoryPage {
  items: DirectoryEntry[];
  nextCursor: string | null;
}

/** Where a page ends: `created_at` to the microsecond (as PostgreSQL stores it) and the id. */
export interface DirectoryPosition {
  createdAt: string;
  id: string;
}

/**
 * The admin user directory: a read model over `users` and `user_roles` (the account and RBAC
 * modules own those tables and write them; this only reads, for the admin list).
 *
 * Newest first, paged by keyset on `(created_at, id)`: a page starts strictly after the last
 * row of the previous one, so every row that existed when paging began is returned exactly
 * once however many are inserted meanwhile (new ones sort before the cursor, or after it and
 * then appear once too). Every filter has an index (account/schema.ts, `users_*_idx`); statements are
 * sent unnamed so each is planned with its values, which is what lets the planner pick the
 * prefix indexes for a rare prefix and the `created_at` order for a common one.
 */
export class UserDirectory {
  private readonly db: Db;
  private readonly database: Database;
  private readonly walks: number[];
  private readonly rareRoleHolders: number;
  constructor(database: Database, options: { walks?: number[]; rareRoleHolders?: number } = {}) {
    this.db = database.db;
    this.database = database;
    this.walks = options.walks ?? WALKS;
    this.rareRoleHolders = options.rareRoleHolders ?? RARE_ROLE_HOLDERS;
  }

  async list(filter: DirectoryFilter, limit: number, cursor?: string): Promise<DirectoryPage> {
    const after = cursor === undefined ? undefined : decodeDirectoryCursor(cursor);
    const conditions = conditionsFor(filter);
    const role = filter.role === undefined ? undefined : await this.holdersOf(filter.role);
    // A rare role narrows the accounts to walk; a common one is tested on the matches only.
    if (role?.rare) conditions.push(role.holds(users.id));
    const holds = role && !role.rare ? role.holds : undefined;
    if (after) {
      conditions.push(
        sql`(${users.createdAt}, ${users.id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
      );
    }
    const ids = await this.pageIds(conditions, holds, filter.q, limit + 1);
    if (ids.length === 0) return { items: [], nextCursor: null };
    const rows = (await this.database.query<PageRow>('directory_page', PAGE_ROWS, [ids])).map(
      (row) => ({
        ...row,
        // The drivers differ in how raw statements return timestamps: Dates either way.
        createdAt: new Date(row.createdAt),
        updatedAt: new Date(row.updatedAt),
        emailVerifiedAt: row.emailVerifiedAt === null ? null : new Date(row.emailVerifiedAt),
      }),
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(({ position: _position, roles, ...user }) => ({ user, roles })),
      nextCursor:
        rows.length > limit && last
          ? encodeDirectoryCursor({ createdAt: last.position, id: last.id })
          : null,
    };
  }

  /**
   * Ids of the page, newest first, read from the indexes alone where possible
   * (users_directory_idx covers every column a filter reads).
   *
   * With a search, neither plan the planner weighs is safe on its own: walking the accounts
   * newest first and testing each is quick when the prefix is common and ruinous when it is
   * rare (a million entries for a handful of matches); collecting every match through the
   * prefix indexes is the reverse. Its cost model cannot tell where the line falls (a prefix
   * matching 0.2% sits inside its statistics' error), so we bound the walk ourselves (WALKS)
   * and, when it holds less than a page, collect the matches key by key: each prefix index
   * carries created_at, id, status and its key, so that reads no table rows at all.
   */
  private async pageIds(
    conditions: SQL[],
    holds: HoldsRole | undefined,
    q: string | undefined,
    count: number,
  ) {
    const newest = [desc(users.createdAt), desc(users.id)];
    if (q === undefined) {
      const rows = await this.db
        .select({ id: users.id })
        .from(users)
        .where(and(...conditions, holds?.(users.id)))
        .orderBy(...newest)
        .limit(count);
      return rows.map((row) => row.id);
    }
    for (const [index, walk] of this.walks.entries()) {
      const walked = await this.newestMatching(conditions, holds, q, walk, count);
      if (walked.length === count) return walked;
      const next = this.walks[index + 1];
      // Matches found so far, scaled to the next walk: unless that promises two pages, the
      // prefix is rare enough (under ~1% of accounts) for the indexes to be quicker.
      if (next === undefined || (walked.length * next) / walk < 2 * count) break;
    }
    // Each key's newest `count` matches, from its index alone; then the newest of those.
    // OFFSET 0 keeps each ORDER BY out of its subquery, where the planner could otherwise
    // pick the date walk again.
    const perKey = searchConditions(q, users).map(
      (matches) =>
        sql`(SELECT id, created_at FROM (
               SELECT ${users.id} AS id, ${users.createdAt} AS created_at FROM ${users}
               WHERE ${and(...conditions, matches, holds?.(users.id))} OFFSET 0
             ) AS key_matches ORDER BY created_at DESC, id DESC LIMIT ${count})`,
    );
    const result = await this.db.execute(
      sql`SELECT id FROM (${sql.join(perKey, sql` UNION `)}) AS matches
          ORDER BY created_at DESC, id DESC LIMIT ${count}`,
    );
    const rows = (result as unknown as { rows: { id: string }[] }).rows;
    return rows.map((row) => row.id);
  }

  /** Matches among the newest `walk` accounts under the other filters, newest first. */
  private async newestMatching(
    conditions: SQL[],
    holds: HoldsRole | undefined,
    q: string,
    walk: number,
    count: number,
  ) {
    const recent = this.db
      .select({
        id: users.id,
        createdAt: users.createdAt,
        email: users.email,
        username: users.username,
        fullName: users.fullName,
      })
      .from(users)
      .where(and(...conditions))
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(walk)
      .as('recent');
    const rows = await this.db
      .select({ id: recent.id })
      .from(recent)
      .where(and(prefixSearch(q, recent), holds?.(recent.id)))
      .orderBy(desc(recent.createdAt), desc(recent.id))
      .limit(count);
    return rows.map((row) => row.id);
  }

  /**
   * "Holds `role`", shaped by how many do. A common role (`user`) is best tested row by row
   * while walking the accounts newest first; a rare one (a few thousand holders) is best read
   * from user_roles and looked up by id, since walking would pass a million accounts to find
   * fifty. The planner cannot tell the two apart from the role name, so we count, up to the
   * threshold, through user_roles_role_user_idx.
   */
  private async holdersOf(role: string): Promise<{ rare: boolean; holds: HoldsRole }> {
    const [{ holders } = { holders: 0 }] = await this.db
      .select({ holders: sql<number>`count(*)::int` })
      .from(
        this.db
          .select({ one: sql`1`.as('one') })
          .from(userRoles)
          .where(eq(userRoles.roleName, role))
          .limit(this.rareRoleHolders)
          .as('holders'),
      );
    if (holders < this.rareRoleHolders) {
      return {
        rare: true,
        holds: (id) =>
          sql`${id} = ANY(ARRAY(SELECT ${userRoles.userId} FROM ${userRoles} WHERE ${userRoles.roleName} = ${role}))`,
      };
    }
    return {
      rare: false,
      holds: (id) =>
        sql`EXISTS (SELECT 1 FROM ${userRoles} WHERE ${userRoles.userId} = ${id} AND ${userRoles.roleName} = ${role})`,
    };
  }
}

function conditionsFor(filter: DirectoryFilter): SQL[] {
  const conditions: SQL[] = [
    filter.status === undefined ? ne(users.status, 'deleted') : eq(users.status, filter.status),
  ];
  if (filter.verified === true) conditions.push(isNotNull(users.emailVerifiedAt));
  if (filter.verified === false) conditions.push(isNull(users.emailVerifiedAt));
  if (filter.createdAfter) conditions.push(gte(users.createdAt, filter.createdAfter));
  if (filter.createdBefore) conditions.push(lt(users.createdAt, filter.createdBefore));
  return conditions;
}

/** "The account with this id holds the role", on `users` or on a subquery of it. */
type HoldsRole = (id: SQLWrapper) => SQL;

interface SearchKeys {
  email: SQLWrapper;
  username: SQLWrapper;
  fullName: SQLWrapper;
}

/**
 * `lower(key) LIKE lower('<q>%')` on each searchable key. On `users` the expressions are
 * exactly those of the `users_*_prefix_idx` indexes (text_pattern_ops), so the planner turns
 * each LIKE into an index range; the pattern is folded to a constant at planning time because
 * the statement is planned with its values.
 */
function prefixSearch(q: string, keys: SearchKeys): SQL {
  return or(...searchConditions(q, keys))!;
}

/** One condition per searchable key; see `prefixSearch`. */
function searchConditions(q: string, keys: SearchKeys): SQL[] {
  const pattern = sql`lower(${`${escapeLike(q)}%`}::text)`;
  return [
    sql`lower(${keys.email}::text) LIKE ${pattern}`,
    sql`lower(${keys.username}::text) LIKE ${pattern}`,
    sql`lower(${keys.fullName}) LIKE ${pattern}`,
    sql`substr(lower(${keys.fullName}), strpos(${keys.fullName}, ' ') + 1) LIKE ${pattern}`,
  ];
}

/** `%`, `_` and the escape character itself match literally (LIKE's default escape is `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

const POSITION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: base64url of `<created_at, microseconds, UTC>|<id>` of the last item. */
export function encodeDirectoryCursor(position: DirectoryPosition): string {
  return Buffer.from(`${position.createdAt}|${position.id}`).toString('base64url');
}

export function decodeDirectoryCursor(cursor: string): DirectoryPosition {
  const [createdAt = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  // A real calendar instant: the database would fail on 2024-02-30 with a 500.
  const millis = `${createdAt.slice(0, 23)}Z`;
  const valid =
    rest.length === 0 &&
    POSITION_TIME.test(createdAt) &&
    UUID.test(id) &&
    !Number.isNaN(Date.parse(millis)) &&
    new Date(millis).toISOString() === millis;
  if (!valid)
    throw errors.validationFailed([{ field: 'cursor', message: 'is not a valid cursor' }]);
  return { createdAt, id };
}
