import { once } from 'node:events';
import type { AccountService, ExportCursor, ExportedAccount } from '../account/service.js';
import type { RbacService } from '../rbac/service.js';
import { TRANSFER_COLUMNS } from './rows.js';
import type { SourceFormat } from './source.js';

/** The owners of what an export reads: accounts and their roles. */
export interface ExportDeps {
  accounts: Pick<AccountService, 'exportPage'>;
  rbac: Pick<RbacService, 'rolesOfMany'>;
}

type ExportedUserRow = ExportedAccount & { roles: string[] };

export interface ExportOptions {
  format: SourceFormat;
  /** Off by default: an export file is then no credential store. */
  includePasswordHashes: boolean;
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 1_000;

/**
 * `gatehouse users export`: every account that is not deleted, oldest first, in the columns
 * `users import` reads, so an export imports elsewhere as is. Pages by keyset (created_at, id):
 * constant memory and no row missed or repeated while accounts are added meanwhile.
 */
export async function exportUsers(
  deps: ExportDeps,
  output: NodeJS.WritableStream,
  options: ExportOptions,
): Promise<number> {
  const columns = TRANSFER_COLUMNS.filter(
    (column) => column !== 'password_hash' || options.includePasswordHashes,
  );
  const write = async (text: string) => {
    if (!output.write(text)) await once(output, 'drain');
  };
  if (options.format === 'csv') await write(`${columns.join(',')}\n`);

  let count = 0;
  let after: ExportCursor | undefined;
  for (;;) {
    const page = await deps.accounts.exportPage(after, options.pageSize ?? DEFAULT_PAGE_SIZE);
    if (page.length === 0) break;
    const roles = await deps.rbac.rolesOfMany(page.map((row) => row.id));
    const rows: ExportedUserRow[] = page.map((row) => ({ ...row, roles: roles.get(row.id)! }));
    let chunk = '';
    for (const row of rows) {
      const record = toRecord(row, options.includePasswordHashes);
      chunk +=
        options.format === 'jsonl'
          ? `${JSON.stringify(record)}\n`
          : `${columns.map((column) => csvCell(record[column])).join(',')}\n`;
    }
    await write(chunk);
    count += rows.length;
    const last = rows[rows.length - 1]!;
    after = { createdAt: last.cursor, id: last.id };
  }
  return count;
}

type ExportRecord = Partial<Record<(typeof TRANSFER_COLUMNS)[number], unknown>>;

function toRecord(row: ExportedUserRow, includePasswordHash: boolean): ExportRecord {
  const record: ExportRecord = {
    id: row.id,
    email: row.email,
    username: row.username,
    full_name: row.fullName,
    email_verified: row.emailVerifiedAt !== null,
    email_verified_at: row.emailVerifiedAt === null ? null : isoTime(row.emailVerifiedAt),
    created_at: isoTime(row.createdAt),
    metadata: row.metadata,
    roles: row.roles,
  };
  if (includePasswordHash) record.password_hash = row.passwordHash;
  return record;
}

function isoTime(value: Date | string): string {
  return new Date(value).toISOString();
}

/** RFC 4180: quoted when it holds a comma, quote or line break; `roles` joined with `;`. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value)
    ? value.join(';')
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
