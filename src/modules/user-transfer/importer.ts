import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../clock.js';
import { NO_REQUEST } from '../../request-context.js';
import type { AccountService } from '../account/service.js';
import type { DomainEvents } from '../events/domain-events.js';
import { DEFAULT_ROLE, type RbacService } from '../rbac/service.js';
import {
  defaultCheckpointPath,
  isCommitted,
  markCommitted,
  readCheckpoint,
  removeCheckpoint,
  startingCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
import { createProgress, type ProgressOutput } from './progress.js';
import { checkRow, type ImportedUser, type RejectReason } from './rows.js';
import { formatFromPath, openSource, type SourceFormat, type SourceRow } from './source.js';

export interface ImportOptions {
  file: string;
  /** From the file name (.jsonl, .ndjson, .csv) when not given. */
  format?: SourceFormat;
  /** Checkpoint file; `<file>.import-state.json` by default. */
  statePath?: string;
  /** Start from the first line, ignoring (and replacing) the checkpoint. */
  restart?: boolean;
  /** Rejected rows as JSON lines: line, reason, message and the row's identifiers. */
  rejectsPath?: string;
  /** `user.created` into the outbox for every imported user (default true). */
  events?: boolean;
  batchSize?: number;
  /** Batches written at once, on connections of their own (default 4). */
  concurrency?: number;
  /** Stop (resumably) once this many rows were read in this run: tests and trial runs. */
  stopAfter?: number;
  /** Aborting stops after committing the rows read so far (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * The owners of what an import writes: accounts (with their `user.created` through the seam's
 * bulk path) and roles. No table is written here.
 */
export interface ImportDeps {
  accounts: Pick<AccountService, 'createMany'>;
  rbac: Pick<RbacService, 'roleNames' | 'grantOnCreationWithin'>;
  events: Pick<DomainEvents, 'recordNow'>;
  clock: Clock;
  /** Where the progress bar goes (stderr). */
  progress: ProgressOutput;
}

export interface ImportSummary {
  /** Totals of the whole import, earlier interrupted runs included. */
  imported: number;
  rejected: Partial<Record<RejectReason, number>>;
  rejectedTotal: number;
  /** This run: rows read and time spent. */
  rowsRead: number;
  elapsedMs: number;
  rowsPerSecond: number;
  /** The line an earlier run had committed, when this run resumed after it. */
  resumedAfterLine: number | undefined;
  /** False when stopped early (`stopAfter`, abort): rerunning continues. */
  completed: boolean;
}

/** Bad options or state: the CLI answers with exit code 2. */
export class ImportUsageError extends Error {}

export const DEFAULT_BATCH_SIZE = 1_000;
export const DEFAULT_CONCURRENCY = 4;

interface Rejection {
  line: number;
  reason: RejectReason;
  message: string;
  email?: string | null;
  username?: string | null;
}

/**
 * `gatehouse users import`: streams the file, validates each row like registration, inserts
 * valid rows a batch per transaction and checkpoints after each, so a rerun resumes after the
 * last committed batch. Bad and duplicate rows are counted and reported, never fatal.
 */
export async function importUsers(
  deps: ImportDeps,
  options: ImportOptions,
): Promise<ImportSummary> {
  const format = options.format ?? formatFromPath(options.file);
  if (!format)
    throw new ImportUsageError(`cannot tell the format of ${options.file}: use --format`);
  if (!existsSync(options.file)) throw new ImportUsageError(`${options.file} does not exist`);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const statePath = options.statePath ?? defaultCheckpointPath(options.file);
  const source = openSource(options.file, format);

  if (options.restart) removeCheckpoint(statePath);
  let previous: Checkpoint | undefined;
  try {
    previous = readCheckpoint(statePath, options.file, source.totalBytes);
  } catch (error) {
    throw new ImportUsageError(`${(error as Error).message}; use --restart to start over`);
  }
  if (options.rejectsPath && !previous) writeFileSync(options.rejectsPath, '');

  const knownRoles = new Set(await deps.rbac.roleNames());
  const events = options.events ?? true;
  const progress = createProgress(deps.progress, source.totalBytes);
  const started = performance.now();

  const state: Checkpoint =
    previous ?? startingCheckpoint(path.resolve(options.file), source.totalBytes);
  const startLine = state.line;
  const resumed = previous ? structuredClone(previous) : undefined;
  let pending: Pending = { users: [], rejections: [], afterLine: startLine, lastLine: startLine };
  let seen = new Set<string>();
  let rowsRead = 0;
  let importedThisRun = 0;
  const rejectedThisRun: Partial<Record<RejectReason, number>> = {};

  /** Inserts one batch, then books its outcome and moves the checkpoint past its last line. */
  const commit = async ({ users, rejections, afterLine, lastLine }: Pending) => {
    if (users.length > 0) {
      const inserted = await insertWithRetry(() => insertBatch(deps, users, events));
      for (const user of users) {
        if (inserted.has(user.id)) continue;
        rejections.push({
          line: user.line,
          reason: 'already_exists',
          message: 'an account with this id, email or username already exists',
          email: user.email,
          username: user.username,
        });
      }
      state.imported += inserted.size;
      importedThisRun += inserted.size;
    }
    rejections.sort((a, b) => a.line - b.line);
    for (const rejection of rejections) {
      state.rejected[rejection.reason] = (state.rejected[rejection.reason] ?? 0) + 1;
      rejectedThisRun[rejection.reason] = (rejectedThisRun[rejection.reason] ?? 0) + 1;
    }
    if (options.rejectsPath && rejections.length > 0) {
      appendFileSync(
        options.rejectsPath,
        rejections.map((rejection) => JSON.stringify(rejection)).join('\n') + '\n',
      );
    }
    markCommitted(state, afterLine, lastLine);
    writeCheckpoint(statePath, state);
  };

  // Batches are written in parallel while the next ones are read and checked. The checkpoint
  // only ever covers committed lines (markCommitted); duplicates across batches in flight are
  // caught by the unique constraints (whichever commits first is imported).
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const writing = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const flush = async () => {
    const batch = pending;
    pending = { users: [], rejections: [], afterLine: batch.lastLine, lastLine: batch.lastLine };
    seen = new Set();
    if (batch.lastLine === batch.afterLine) return;
    while (writing.size >= concurrency) await Promise.race(writing);
    if (failure) throw failure.error;
    const write = commit(batch).then(
      () => undefined,
      (error: unknown) => {
        failure ??= { error };
      },
    );
    writing.add(write);
    void write.finally(() => writing.delete(write));
  };

  let stopped = false;
  for await (const read of source.rows) {
    if (resumed && isCommitted(resumed, read.line)) {
      // A batch must cover consecutive lines: close the one being filled before the gap.
      if (pending.lastLine > pending.afterLine) await flush();
      pending.afterLine = pending.lastLine = read.line;
      continue;
    }
    rowsRead += 1;
    pending.lastLine = read.line;
    const outcome = classify(read, deps.clock.now(), knownRoles, seen);
    if ('reason' in outcome) pending.rejections.push(outcome);
    else pending.users.push(outcome);
    // Rejections count too: a file of nothing but bad rows must not pile up in memory.
    if (pending.users.length + pending.rejections.length >= batchSize) await flush();
    progress.update(source.bytesRead(), rowsRead);
    if (rowsRead === options.stopAfter || options.signal?.aborted) {
      stopped = true;
      break;
    }
  }
  await flush();
  await Promise.all(writing);
  if (failure) throw failure.error;

  const elapsedMs = performance.now() - started;
  state.elapsedMs += elapsedMs;
  state.completed = !stopped;
  writeCheckpoint(statePath, state);
  progress.finish(stopped ? source.bytesRead() : source.totalBytes, rowsRead);

  const rejectedTotal = Object.values(state.rejected).reduce((sum, n) => sum + n, 0);
  await deps.events.recordNow(NO_REQUEST, {
    type: 'users.imported',
    actorUserId: null,
    subjectUserId: null,
    detail: {
      file: path.basename(options.file),
      imported: importedThisRun,
      rejected: Object.values(rejectedThisRun).reduce((sum, n) => sum + n, 0),
      ...prefixed('rejected_', rejectedThisRun),
      resumed: startLine > 0,
      completed: !stopped,
    },
  });

  return {
    imported: state.imported,
    rejected: state.rejected,
    rejectedTotal,
    rowsRead,
    elapsedMs,
    rowsPerSecond: rowsRead / Math.max(elapsedMs / 1000, 0.001),
    resumedAfterLine: startLine > 0 ? startLine : undefined,
    completed: !stopped,
  };
}

/** A validated row with its final id and roles (default role included). */
interface BatchUser extends ImportedUser {
  id: string;
}

/**
 * Inserts the users of `batch` that conflict with nothing (email, username or id already
 * taken) with their roles and `user.created` (event when `events`, audit always), in one
 * transaction. Returns the ids inserted.
 */
async function insertBatch(
  deps: ImportDeps,
  batch: BatchUser[],
  events: boolean,
): Promise<Set<string>> {
  const rolesOf = new Map(batch.map((user) => [user.id, user.roles]));
  const inserted = await deps.accounts.createMany(
    batch.map((user) => ({
      id: user.id,
      email: user.email,
      username: user.username,
      fullName: user.fullName,
      passwordHash: user.passwordHash,
      emailVerifiedAt: user.emailVerifiedAt,
      createdAt: user.createdAt,
      metadata: user.metadata,
    })),
    { context: NO_REQUEST, actorUserId: null, detail: { imported: true }, publish: events },
    (tx, users) =>
      deps.rbac.grantOnCreationWithin(
        tx,
        users.map((user) => ({ userId: user.id, roles: rolesOf.get(user.id) ?? [] })),
      ),
  );
  return new Set(inserted.map((user) => user.id));
}

interface Pending {
  users: (BatchUser & { line: number })[];
  rejections: Rejection[];
  /** The batch covers the lines after this one, through `lastLine`. */
  afterLine: number;
  /** The last line read into this batch: the checkpoint once it is committed. */
  lastLine: number;
}

/**
 * A row becomes a user to insert or a rejection. `seen` holds the identifiers of the batch
 * being filled (citext compares case-insensitively, and so does this); across batches the
 * database's unique constraints find the duplicates.
 */
function classify(
  read: SourceRow,
  now: Date,
  knownRoles: Set<string>,
  seen: Set<string>,
): (BatchUser & { line: number }) | Rejection {
  const { line } = read;
  if ('error' in read) return { line, reason: 'invalid_row', message: read.error };
  const checked = checkRow(read.row, now);
  if (!checked.ok) {
    return { line, reason: checked.reason, message: checked.message, ...identifiersOf(read.row) };
  }
  const { user } = checked;
  const found = { email: user.email, username: user.username };
  const unknownRole = user.roles.find((role) => !knownRoles.has(role));
  if (unknownRole !== undefined) {
    return {
      line,
      reason: 'unknown_role',
      message: `role "${unknownRole}" does not exist`,
      ...found,
    };
  }
  const keys = [
    user.id && `id:${user.id}`,
    user.email && `email:${user.email.toLowerCase()}`,
    user.username && `username:${user.username.toLowerCase()}`,
  ].filter((key): key is string => Boolean(key));
  if (keys.some((key) => seen.has(key))) {
    return {
      line,
      reason: 'duplicate',
      message: 'repeats the id, email or username of an earlier row',
      ...found,
    };
  }
  keys.forEach((key) => seen.add(key));
  const roles = [DEFAULT_ROLE, ...user.roles.filter((role) => role !== DEFAULT_ROLE)];
  return { ...user, id: user.id ?? randomUUID(), roles, line };
}

/**
 * Two batches in flight that insert the same identifiers in opposite orders can deadlock; the
 * database aborts one transaction (nothing of it committed), which is then simply run again.
 */
async function insertWithRetry<T>(insert: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await insert();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
    }
  }
}

function isDeadlock(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '40P01') return true;
  }
  return false;
}

/** What a rejection report shows of a row to find it: its identifiers, never its hash. */
function identifiersOf(row: unknown): Pick<Rejection, 'email' | 'username'> {
  if (typeof row !== 'object' || row === null) return {};
  const { email, username } = row as Record<string, unknown>;
  return {
    email: typeof email === 'string' ? email.slice(0, 320) : null,
    username: typeof username === 'string' ? username.slice(0, 64) : null,
  };
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([key, n]) => [`${prefix}${key}`, n]));
}
