import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RejectReason } from './rows.js';

/**
 * Where an import stands: every row up to `line` is committed (imported or rejected), and so
 * are the line ranges in `committedAhead` (batches written in parallel that finished before an
 * earlier one). Written after each batch commits, atomically (temp file + rename), so a run
 * killed at any moment resumes after what it committed and reads no row twice.
 */
export interface Checkpoint {
  /** The input it belongs to: a different or changed file must not resume from it. */
  input: string;
  size: number;
  line: number;
  /** `[after, through]`: lines after..through (exclusive, inclusive) are committed. */
  committedAhead: [number, number][];
  imported: number;
  rejected: Partial<Record<RejectReason, number>>;
  /** Wall time spent by earlier runs, for the rows/s of the whole import. */
  elapsedMs: number;
  completed: boolean;
}

/** Where a first run over `input` (of `size` bytes) starts. */
export function startingCheckpoint(input: string, size: number): Checkpoint {
  return {
    input,
    size,
    line: 0,
    committedAhead: [],
    imported: 0,
    rejected: {},
    elapsedMs: 0,
    completed: false,
  };
}

export function defaultCheckpointPath(input: string): string {
  return `${input}.import-state.json`;
}

export class CheckpointMismatch extends Error {}

/**
 * The checkpoint to resume from, if any. Throws CheckpointMismatch when it describes another
 * file, or this file at another size (it was edited: line numbers no longer mean the same rows).
 */
export function readCheckpoint(file: string, input: string, size: number): Checkpoint | undefined {
  if (!existsSync(file)) return undefined;
  let checkpoint: Checkpoint;
  try {
    checkpoint = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
  } catch {
    throw new CheckpointMismatch(`${file} is not a readable import checkpoint`);
  }
  if (checkpoint.input !== path.resolve(input) || checkpoint.size !== size) {
    throw new CheckpointMismatch(
      `${file} belongs to ${checkpoint.input} (${checkpoint.size} bytes), not to this file`,
    );
  }
  checkpoint.committedAhead ??= [];
  return checkpoint;
}

/** Records the batch of lines after..through as committed, advancing `line` where it can. */
export function markCommitted(checkpoint: Checkpoint, after: number, through: number): void {
  checkpoint.committedAhead.push([after, through]);
  checkpoint.committedAhead.sort((a, b) => a[0] - b[0]);
  while (checkpoint.committedAhead[0]?.[0] === checkpoint.line) {
    checkpoint.line = checkpoint.committedAhead.shift()![1];
  }
}

/** Whether an earlier run already committed this line. */
export function isCommitted(checkpoint: Checkpoint, line: number): boolean {
  return (
    line <= checkpoint.line ||
    checkpoint.committedAhead.some(([after, through]) => line > after && line <= through)
  );
}

export function writeCheckpoint(file: string, checkpoint: Checkpoint): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(temporary, file);
}

export function removeCheckpoint(file: string): void {
  rmSync(file, { force: true });
}
