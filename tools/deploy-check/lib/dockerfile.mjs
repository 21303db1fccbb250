import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { verdict } from './problems.mjs';

/** dockerfile-utils diagnostics (errors and warnings alike) for the Dockerfile. */
export function lintDockerfile(root) {
  const file = path.join(root, 'Dockerfile');
  const content = readFileSync(file, 'utf8');
  const lines = content.split('\n');
  const problems = validate(content).map(
    (d) =>
      `Dockerfile:${d.range.start.line + 1}: ${d.message} [${lines[d.range.start.line]?.trim()}]`,
  );
  return verdict(problems, `${lines.length} lines`);
}

/** Instructions of a Dockerfile with continuation lines joined, grouped by stage. */
function stages(content) {
  const joined = content.replace(/\\\r?\n/g, ' ');
  const args = {};
  const result = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'ARG' && result.length === 0) {
      const [name, value] = instruction.args.split('=');
      args[name] = value;
    }
    if (instruction.keyword === 'FROM') {
      const image = rest[0].replace(/\$\{?(\w+)\}?/g, (_, name) => args[name] ?? '');
      const alias = /\bAS\s+(\S+)/i.exec(instruction.args)?.[1];
      result.push({ image, alias, instructions: [] });
    } else if (result.length > 0) {
      result.at(-1).instructions.push(instruction);
    }
  }
  return result;
}

/** The requirements on the production image, read off the Dockerfile. */
export function checkImagePolicy(root) {
  const problems = [];
  const content = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const all = stages(content);
  const final = all.at(-1);
  if (all.length < 2) problems.push('Dockerfile: expected a multi-stage build');
  for (const stage of all) {
    if (
      !/^node:(22|24)-bookworm-slim$/.test(stage.image) &&
      !all.some((s) => s.alias === stage.image)
    ) {
      problems.push(
        `Dockerfile: stage "${stage.alias}" is based on ${stage.image}, not node:22/24-bookworm-slim`,
      );
    }
  }
  const find = (keyword) => final.instructions.filter((i) => i.keyword === keyword);
  const user = find('USER').at(-1)?.args;
  if (!user || /^(root|0)(:|$)/.test(user))
    problems.push('Dockerfile: final stage must set a non-root USER');
  if (find('HEALTHCHECK').length !== 1)
    problems.push('Dockerfile: final stage needs one HEALTHCHECK');
  const cmd = find('CMD').at(-1)?.args ?? '';
  if (!/"node",\s*"dist\/main\.js"/.test(cmd))
    problems.push('Dockerfile: CMD must run node dist/main.js');
  if (/tsx/.test(cmd) || find('ENTRYPOINT').some((i) => /tsx/.test(i.args))) {
    problems.push('Dockerfile: the image must run compiled JS, not tsx');
  }
  if (!all.some((s) => s.instructions.some((i) => /npm ci\b.*--omit=dev/.test(i.args)))) {
    problems.push('Dockerfile: production dependencies must come from npm ci --omit=dev');
  }
  const copies = find('COPY').map((i) => i.args);
  for (const wanted of ['dist', 'migrations', 'package.json', 'node_modules']) {
    if (!copies.some((c) => c.includes(wanted)))
      problems.push(`Dockerfile: final stage does not copy ${wanted}`);
  }
  const ignoreFile = path.join(root, '.dockerignore');
  if (!existsSync(ignoreFile)) {
    problems.push('.dockerignore is missing');
  } else {
    const ignored = readFileSync(ignoreFile, 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['**/node_modules', 'dist', '.git', '.env']) {
      if (!ignored.includes(entry)) problems.push(`.dockerignore: should exclude ${entry}`);
    }
  }
  return verdict(problems, `${all.length} stages, runs as ${user}`);
}
