import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointMismatch,
  isCommitted,
  markCommitted,
  readCheckpoint,
  startingCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from './checkpoint.js';

const fresh = (): Checkpoint => startingCheckpoint('/data/users.jsonl', 100);

describe('import checkpoint', () => {
  it('advances the committed prefix only over consecutive batches', () => {
    const checkpoint = fresh();
    markCommitted(checkpoint, 20, 30); // a later batch finished first
    expect(checkpoint.line).toBe(0);
    expect(isCommitted(checkpoint, 25)).toBe(true);
    expect(isCommitted(checkpoint, 20)).toBe(false);
    expect(isCommitted(checkpoint, 5)).toBe(false);

    markCommitted(checkpoint, 10, 20);
    expect(checkpoint.line).toBe(0);
    markCommitted(checkpoint, 0, 10);
    expect(checkpoint).toMatchObject({ line: 30, committedAhead: [] });
    expect(isCommitted(checkpoint, 30)).toBe(true);
    expect(isCommitted(checkpoint, 31)).toBe(false);
  });

  it('resumes only the same file at the same size', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'checkpoint-'));
    const input = path.join(dir, 'users.jsonl');
    const file = path.join(dir, 'state.json');
    expect(readCheckpoint(file, input, 100)).toBeUndefined();
    writeCheckpoint(file, { ...fresh(), input, line: 7 });
    expect(readCheckpoint(file, input, 100)).toMatchObject({ line: 7 });
    expect(() => readCheckpoint(file, input, 101)).toThrow(CheckpointMismatch);
    expect(() => readCheckpoint(file, path.join(dir, 'other.jsonl'), 100)).toThrow(
      CheckpointMismatch,
    );
    writeFileSync(file, '{ not json');
    expect(() => readCheckpoint(file, input, 100)).toThrow(CheckpointMismatch);
  });
});
