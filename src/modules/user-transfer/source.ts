import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse, type CsvError, type Info } from 'csv-parse';
import { fromCsvRecord } from './rows.js';

export const SOURCE_FORMATS = ['jsonl', 'csv'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** A row read from the file, or why it could not be read; `line` is 1-based. */
export type SourceRow = { line: number; row: unknown } | { line: number; error: string };

/** A file of rows read as a stream: never more than a chunk of it in memory. */
export interface Source {
  rows: AsyncIterable<SourceRow>;
  totalBytes: number;
  /** Bytes read from the file so far (the progress bar's measure). */
  bytesRead(): number;
}

export function formatFromPath(path: string): SourceFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  return undefined;
}

export function openSource(path: string, format: SourceFormat): Source {
  const totalBytes = statSync(path).size;
  let bytes = 0;
  // Opened when iteration starts: a stream flowing before its reader is attached loses data.
  async function* rows(): AsyncGenerator<SourceRow> {
    const stream = createReadStream(path);
    stream.on('data', (chunk) => (bytes += chunk.length));
    yield* format === 'jsonl' ? jsonLines(stream) : csvRecords(stream);
  }
  return { rows: rows(), totalBytes, bytesRead: () => bytes };
}

async function* jsonLines(stream: NodeJS.ReadableStream): AsyncGenerator<SourceRow> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, row: JSON.parse(text) as unknown };
    } catch {
      yield { line, error: 'is not valid JSON' };
    }
  }
}

/**
 * The first record is the header. A record with a field count other than the header's, or one
 * the parser cannot read (an unclosed quote), is reported and skipped, not fatal.
 */
async function* csvRecords(stream: NodeJS.ReadableStream): AsyncGenerator<SourceRow> {
  const unreadable: SourceRow[] = [];
  const parser = stream.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error: CsvError | undefined) => {
        const line = (error as { lines?: number } | undefined)?.lines ?? 0;
        unreadable.push({ line, error: `is not valid CSV (${error?.message ?? 'unreadable'})` });
        return undefined;
      },
    }),
  );
  let header: string[] | undefined;
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[];
    info: Info;
  }>) {
    yield* unreadable.splice(0);
    if (!header) {
      header = record.map((name) => name.trim().toLowerCase());
      continue;
    }
    if (record.length !== header.length) {
      yield {
        line: info.lines,
        error: `has ${record.length} fields, the header has ${header.length}`,
      };
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((name, index) => (fields[name] = record[index]!));
    yield { line: info.lines, row: fromCsvRecord(fields) };
  }
  yield* unreadable.splice(0);
}
