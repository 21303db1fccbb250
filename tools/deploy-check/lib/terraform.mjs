import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { format } from '@cdktf/hcl-tools';
import { verdict } from './problems.mjs';

const META_ARGUMENTS = new Set([
  'source',
  'version',
  'count',
  'for_each',
  'providers',
  'depends_on',
]);

function findFiles(dir, suffix) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    if (entry === '.terraform') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...findFiles(full, suffix));
    else if (entry.endsWith(suffix)) found.push(full);
  }
  return found.sort();
}

/** Every string of a parsed file: expressions come out of hcl2json as "${...}". */
function* strings(value) {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (value && typeof value === 'object')
    for (const item of Object.values(value)) yield* strings(item);
}

const first = (blocks) => (Array.isArray(blocks) ? blocks[0] : blocks) ?? {};

/**
 * Parses every .tf file under `dir` and groups them into modules (one per directory).
 * Returns { modules, problems, files } where a module holds its declared names and expressions.
 */
export async function loadTerraform(dir) {
  const files = findFiles(dir, '.tf');
  const problems = [];
  const modules = new Map();
  for (const file of files) {
    const rel = path.relative(dir, file);
    let json;
    try {
      json = await parse(rel, readFileSync(file, 'utf8'));
    } catch (error) {
      problems.push(`${rel}: ${String(error.message ?? error).trim()}`);
      continue;
    }
    const moduleDir = path.dirname(file);
    if (!modules.has(moduleDir)) {
      modules.set(moduleDir, {
        dir: moduleDir,
        variables: new Map(),
        outputs: new Map(),
        locals: new Set(),
        calls: new Map(),
        resources: new Set(),
        data: new Set(),
        expressions: [],
      });
    }
    const module = modules.get(moduleDir);
    for (const [name, blocks] of Object.entries(json.variable ?? {}))
      module.variables.set(name, { ...first(blocks), file: rel });
    for (const [name, blocks] of Object.entries(json.output ?? {}))
      module.outputs.set(name, { ...first(blocks), file: rel });
    for (const block of json.locals ?? [])
      for (const name of Object.keys(block)) module.locals.add(name);
    for (const [name, blocks] of Object.entries(json.module ?? {}))
      module.calls.set(name, { args: first(blocks), file: rel });
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const name of Object.keys(byName)) module.resources.add(`${type}.${name}`);
    }
    for (const [type, byName] of Object.entries(json.data ?? {})) {
      for (const name of Object.keys(byName)) module.data.add(`${type}.${name}`);
    }
    const { variable, ...rest } = json;
    module.expressions.push(
      ...[...strings(rest)].filter((s) => s.includes('${')).map((s) => ({ file: rel, text: s })),
    );
    // Variable validations may reference the variable itself.
    module.expressions.push(
      ...[...strings(Object.values(variable ?? {}).map((b) => first(b).validation ?? []))]
        .filter((s) => s.includes('${'))
        .map((s) => ({ file: rel, text: s, validation: true })),
    );
  }
  return { files, modules, problems };
}

export function checkParse({ files, modules, problems }) {
  return verdict(problems, `${files.length} files in ${modules.size} modules`);
}

/** `terraform fmt` equivalence through @cdktf/hcl-tools. */
export async function checkFormat(dir, files) {
  const problems = [];
  for (const file of files) {
    const content = readFileSync(file, 'utf8');
    const formatted = await format(content);
    if (formatted !== content)
      problems.push(`${path.relative(dir, file)}: not formatted (terraform fmt)`);
  }
  return verdict(problems, `${files.length} files`);
}

export function checkDeclarations(dir, { modules }) {
  const problems = [];
  let variables = 0;
  for (const module of modules.values()) {
    for (const [name, variable] of module.variables) {
      variables += 1;
      if (!variable.type) problems.push(`${variable.file}: variable "${name}" has no type`);
      if (!variable.description?.trim())
        problems.push(`${variable.file}: variable "${name}" has no description`);
    }
    for (const [name, output] of module.outputs) {
      if (!output.description?.trim())
        problems.push(`${output.file}: output "${name}" has no description`);
    }
  }
  return verdict(problems, `${variables} variables typed and described`);
}

const REFERENCE = {
  var: /(?<![\w.])var\.([A-Za-z_][\w-]*)/g,
  local: /(?<![\w.])local\.([A-Za-z_][\w-]*)/g,
  module: /(?<![\w.])module\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.([A-Za-z_][\w-]*)/g,
  data: /(?<![\w.])data\.([A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)/g,
  resource: /(?<![\w.])((?:aws|random|tls)_[a-z0-9_]+\.[A-Za-z_][\w-]*)/g,
};

function resolveSource(module, call) {
  const { source } = call.args;
  return typeof source === 'string' && /^\.\.?\//.test(source)
    ? path.resolve(module.dir, source)
    : undefined;
}

/** var., local., module.X.Y, data. and resource references all point at declarations. */
export function checkReferences(dir, { modules }) {
  const problems = [];
  let count = 0;
  for (const module of modules.values()) {
    const used = new Set();
    for (const { file, text, validation } of module.expressions) {
      for (const [, name] of text.matchAll(REFERENCE.var)) {
        count += 1;
        if (!validation) used.add(name);
        if (!module.variables.has(name)) problems.push(`${file}: var.${name} is not declared`);
      }
      for (const [, name] of text.matchAll(REFERENCE.local)) {
        count += 1;
        if (!module.locals.has(name)) problems.push(`${file}: local.${name} is not declared`);
      }
      for (const [, name, output] of text.matchAll(REFERENCE.module)) {
        count += 1;
        const call = module.calls.get(name);
        const target = call && modules.get(resolveSource(module, call));
        if (!call) problems.push(`${file}: module.${name} is not declared`);
        else if (target && !target.outputs.has(output))
          problems.push(`${file}: module.${name} has no output "${output}"`);
      }
      for (const [, name] of text.matchAll(REFERENCE.data)) {
        count += 1;
        if (!module.data.has(name)) problems.push(`${file}: data.${name} is not declared`);
      }
      for (const [, name] of text.matchAll(REFERENCE.resource)) {
        count += 1;
        if (!module.resources.has(name)) problems.push(`${file}: ${name} is not declared`);
      }
    }
    for (const [name, variable] of module.variables) {
      if (!used.has(name))
        problems.push(`${variable.file}: variable "${name}" is declared but never used`);
    }
  }
  return verdict(problems, `${count} references`);
}

/** Local module sources exist; arguments match the module's variables; required ones are set. */
export async function checkModuleCalls(dir, { modules }) {
  const problems = [];
  let calls = 0;
  const checkArguments = (where, target, args) => {
    for (const argument of Object.keys(args)) {
      if (!META_ARGUMENTS.has(argument) && !target.variables.has(argument)) {
        problems.push(
          `${where}: "${argument}" is not a variable of ${path.relative(dir, target.dir)}`,
        );
      }
    }
    for (const [name, variable] of target.variables) {
      if (!('default' in variable) && !(name in args))
        problems.push(`${where}: required variable "${name}" is not set`);
    }
  };
  for (const module of modules.values()) {
    for (const [name, call] of module.calls) {
      calls += 1;
      const where = `${call.file}: module "${name}"`;
      const source = resolveSource(module, call);
      if (!source) {
        problems.push(`${where}: source ${JSON.stringify(call.args.source)} is not a local path`);
      } else if (!existsSync(source) || !modules.has(source)) {
        problems.push(`${where}: source ${call.args.source} has no .tf files`);
      } else {
        checkArguments(where, modules.get(source), call.args);
      }
    }
    // An example tfvars must fit its root module like a module call does.
    for (const example of findFiles(module.dir, '.tfvars.example').filter(
      (f) => path.dirname(f) === module.dir,
    )) {
      const rel = path.relative(dir, example);
      try {
        checkArguments(rel, module, await parse(rel, readFileSync(example, 'utf8')));
        calls += 1;
      } catch (error) {
        problems.push(`${rel}: ${String(error.message ?? error).trim()}`);
      }
    }
  }
  return verdict(problems, `${calls} module calls and tfvars examples`);
}
