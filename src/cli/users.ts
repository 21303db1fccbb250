import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { exportUsers } from '../modules/user-transfer/exporter.js';
import {
  ImportUsageError,
  importUsers,
  type ImportSummary,
} from '../modules/user-transfer/importer.js';
import {
  SOURCE_FORMATS,
  formatFromPath,
  type SourceFormat,
} from '../modules/user-transfer/source.js';
import { withServices } from './open.js';

export const USERS_USAGE = `usage:
  gatehouse users import <file.jsonl|file.csv> [--format jsonl|csv] [--state <file>] [--restart]
                         [--rejects <file>] [--no-events] [--batch-size <n>] [--concurrency <n>]
                         [--stop-after <rows>]
  gatehouse users export [--format jsonl|csv] [--output <file>] [--include-password-hashes]
`;

export interface CliOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** `gatehouse users import|export`. Exit codes: 0 finished (rejections included), 1 failure, 2 usage. */
export async function usersCommand(
  config: Config,
  args: string[],
  io: CliOutput = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [action, ...rest] = args;
  let parsed: ParsedCommand;
  try {
    parsed = parseCommand(action, rest);
  } catch (error) {
    io.stderr.write(`users: ${(error as Error).message}\n${USERS_USAGE}`);
    return 2;
  }
  return withServices(config, async ({ services }) => {
    if (parsed.action === 'export') {
      const output = parsed.output ? createWriteStream(parsed.output) : io.stdout;
      const count = await exportUsers(services, output, parsed);
      if (parsed.output) {
        output.end();
        await once(output, 'finish');
      }
      io.stderr.write(`exported ${count.toLocaleString('en')} user(s)\n`);
      return 0;
    }
    // Ctrl-C or a stop request: the batches read so far commit, and a rerun continues.
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      const summary = await importUsers(
        { ...services, clock: systemClock, progress: io.stderr },
        { ...parsed, signal: controller.signal },
      );
      io.stdout.write(describeSummary(summary, parsed.statePath));
      return 0;
    } catch (error) {
      if (error instanceof ImportUsageError) {
        io.stderr.write(`users import: ${error.message}\n`);
        return 2;
      }
      throw error;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  });
}

type ParsedCommand =
  | {
      action: 'import';
      file: string;
      format?: SourceFormat;
      statePath?: string;
      restart: boolean;
      rejectsPath?: string;
      events: boolean;
      batchSize?: number;
      concurrency?: number;
      stopAfter?: number;
    }
  | {
      action: 'export';
      format: SourceFormat;
      output?: string;
      includePasswordHashes: boolean;
    };

function parseCommand(action: string | undefined, args: string[]): ParsedCommand {
  if (action === 'import') {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        state: { type: 'string' },
        restart: { type: 'boolean', default: false },
        rejects: { type: 'string' },
        'no-events': { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        concurrency: { type: 'string' },
        'stop-after': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new Error('import takes exactly one file');
    const file = positionals[0]!;
    // Checked before the service opens: a typo answers at once.
    if (!existsSync(file)) throw new Error(`${file} does not exist`);
    if (values.format === undefined && !formatFromPath(file)) {
      throw new Error(`cannot tell the format of ${file}: name it .jsonl or .csv, or use --format`);
    }
    return {
      action,
      file,
      format: values.format === undefined ? undefined : format(values.format),
      statePath: values.state,
      restart: values.restart,
      rejectsPath: values.rejects,
      events: !values['no-events'],
      batchSize: positiveInt('--batch-size', values['batch-size'], 50_000),
      concurrency: positiveInt('--concurrency', values.concurrency, 32),
      stopAfter: positiveInt('--stop-after', values['stop-after'], Number.MAX_SAFE_INTEGER),
    };
  }
  if (action === 'export') {
    const { values } = parseArgs({
      args,
      options: {
        format: { type: 'string', default: 'jsonl' },
        output: { type: 'string' },
        'include-password-hashes': { type: 'boolean', default: false },
      },
    });
    return {
      action,
      format: format(values.format),
      output: values.output,
      includePasswordHashes: values['include-password-hashes'],
    };
  }
  throw new Error(action === undefined ? 'missing action' : `unknown action "${action}"`);
}

function format(value: string): SourceFormat {
  if ((SOURCE_FORMATS as readonly string[]).includes(value)) return value as SourceFormat;
  throw new Error(`--format must be jsonl or csv`);
}

function positiveInt(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new Error(`${name} must be 1 to ${max}`);
  return n;
}

function describeSummary(summary: ImportSummary, statePath: string | undefined): string {
  const n = (value: number) => value.toLocaleString('en');
  const reasons = Object.entries(summary.rejected)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, count]) => `  ${reason}: ${n(count)}\n`)
    .join('');
  return [
    summary.resumedAfterLine === undefined
      ? ''
      : `resumed after line ${n(summary.resumedAfterLine)}\n`,
    `imported: ${n(summary.imported)}\n`,
    `rejected: ${n(summary.rejectedTotal)}\n`,
    reasons,
    `elapsed: ${(summary.elapsedMs / 1000).toFixed(1)} s, ${n(summary.rowsRead)} rows read, ` +
      `${n(Math.round(summary.rowsPerSecond))} rows/s\n`,
    summary.completed
      ? ''
      : `stopped before the end: run the same command again to continue` +
        `${statePath ? '' : ' (progress is in <file>.import-state.json)'}\n`,
  ].join('');
}
