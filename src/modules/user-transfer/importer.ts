import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../../adapters/db/index.js';
import type { Clock } from '../../clock.js';
import { NO_REQUEST } from '../../request-context.js';
import type { AuditService } from '../audit/service.js';
import { DEFAULT_ROLE } from '../rbac/service.js';
import {
  defaultCheckpointPath,
  readCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
import { createProgress, type ProgressOutput } from './progress.js';
import { TransferRepository, type BatchUser } from './repository.js';
import { checkRow, type RejectReason } from './rows.js';
import { formatFromPath, openSource, type SourceFormat } from './source.js';

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
  /** Stop (resumably) once this many rows were read in this run: tests and trial runs. */
  stopAfter?: number;
  /** Aborting stops after committing the rows read so far (Ctrl-C). */
  signal?: AbortSignal;
}

export interface ImportDeps {
  database: Database;
  clock: Clock;
  audit: Pick<AuditService, 'record'>;
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

interface Rejection {
  line: number;
  reason: RejectReason;
  message: string;
  email?: string | null;
  username?: string | null;
}

/**
 * `gatehouse users import`: streams the file, validates each row like registration, inserts
 * valid rows a batch per statement and checkpoints after each, so a rerun resumes after the
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

  const repository = new TransferRepository(deps.database);
  const knownRoles = new Set(await repository.roleNames());
  const events = options.events ?? true;
  const progress = createProgress(deps.progress, source.totalBytes);
  const started = performance.now();

  const state: Checkpoint = previous ?? {
    input: path.resolve(options.file),
    size: source.totalBytes,
    line: 0,
    imported: 0,
    rejected: {},
    elapsedMs: 0,
    completed: false,
  };
  const startLine = state.line;
  let batch: (BatchUser & { line: number })[] = [];
  let rejections: Rejection[] = [];
  let seen = new Set<string>();
  let rowsRead = 0;
  let lastLine = startLine;
  let importedThisRun = 0;
  const rejectedThisRun: Partial<Record<RejectReason, number>> = {};

  const flush = async () => {
    if (batch.length > 0) {
      const inserted = await repository.insertBatch(batch, deps.clock.now(), events);
      for (const user of batch) {
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
    state.line = lastLine;
    writeCheckpoint(statePath, state);
    batch = [];
    rejections = [];
    seen = new Set();
  };

  let stopped = false;
  for await (const read of source.rows) {
    if (read.line <= startLine) continue;
    rowsRead += 1;
    lastLine = read.line;
    if ('error' in read) {
      rejections.push({ line: read.line, reason: 'invalid_row', message: read.error });
    } else {
      const checked = checkRow(read.row, deps.clock.now());
      if (!checked.ok) {
        const { reason, message } = checked;
        rejections.push({ line: read.line, reason, message, ...identifiersOf(read.row) });
      } else {
        const user = checked.user;
        const unknownRole = user.roles.find((role) => !knownRoles.has(role));
        // citext compares case-insensitively; so does this check.
        const keys = [
          user.id && `id:${user.id}`,
          user.email && `email:${user.email.toLowerCase()}`,
          user.username && `username:${user.username.toLowerCase()}`,
        ].filter((key): key is string => Boolean(key));
        if (unknownRole !== undefined) {
          rejections.push({
            line: read.line,
            reason: 'unknown_role',
            message: `role "${unknownRole}" does not exist`,
            email: user.email,
            username: user.username,
          });
        } else if (keys.some((key) => seen.has(key))) {
          // Within one batch; across batches the database's unique constraints catch it.
          rejections.push({
            line: read.line,
            reason: 'duplicate',
            message: 'repeats the id, email or username of an earlier row',
            email: user.email,
            username: user.username,
          });
        } else {
          keys.forEach((key) => seen.add(key));
          const roles = [DEFAULT_ROLE, ...user.roles.filter((role) => role !== DEFAULT_ROLE)];
          batch.push({ ...user, id: user.id ?? randomUUID(), roles, line: read.line });
        }
      }
    }
    if (batch.length >= batchSize) await flush();
    progress.update(source.bytesRead(), rowsRead);
    if (rowsRead === options.stopAfter || options.signal?.aborted) {
      stopped = true;
      break;
    }
  }
  await flush();

  const elapsedMs = performance.now() - started;
  state.elapsedMs += elapsedMs;
  state.completed = !stopped;
  writeCheckpoint(statePath, state);
  progress.finish(stopped ? source.bytesRead() : source.totalBytes, rowsRead);

  const rejectedTotal = Object.values(state.rejected).reduce((sum, n) => sum + n, 0);
  await deps.audit.record(NO_REQUEST, {
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
