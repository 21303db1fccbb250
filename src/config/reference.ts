import type { Leaf } from './read.js';
import type { EnvVar, ExternalVariable } from './variables.js';

const code = (value: unknown) => `\`${String(value)}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|');

function defaultCell(envVar: EnvVar): string {
  if (envVar.defaultDoc) return envVar.defaultDoc;
  const value = envVar.default;
  if (value === undefined) return '_unset_';
  if (Array.isArray(value)) return value.length === 0 ? '_empty_' : code(value.join(','));
  return code(value);
}

function allowedCell(leaf: Leaf): string {
  const { envVar } = leaf;
  if (envVar.allowedDoc) return envVar.allowedDoc;
  const schema = leaf.schema as unknown as Record<string, unknown>;
  switch (envVar.kind) {
    case 'int':
      return `${String(schema.minimum)}–${String(schema.maximum)}`;
    case 'bool':
      return '`true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`)';
    case 'enum':
      return ((schema.anyOf as { const: string }[]) ?? []).map((s) => code(s.const)).join(', ');
    case 'url':
      return `${(envVar.protocols ?? []).map(code).join(' or ')} URL`;
    case 'text': {
      if (schema.format === 'email') return 'email address';
      if (typeof schema.minLength === 'number') return `at least ${schema.minLength} characters`;
      return 'text';
    }
    case 'list':
      return 'comma-separated list';
    case 'rate':
      return '`count/duration` or `0`';
  }
}

function variableCell(envVar: EnvVar): string {
  const names = [code(envVar.name)];
  if (envVar.secret) names.push(`or ${code(`${envVar.name}_FILE`)}`);
  return names.join(' ');
}

function docCell(envVar: EnvVar): string {
  const aliases = envVar.aliases?.length
    ? ` Also read as ${envVar.aliases.map(code).join(', ')} (the main name wins).`
    : '';
  return `${envVar.doc}${aliases}`;
}

function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((row) => row.map(cell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(all[0]!),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...all.slice(1).map(line),
  ].join('\n');
}

/** docs/configuration.md: a table per section, from the schema. */
export function renderReference(
  leaves: readonly Leaf[],
  external: readonly ExternalVariable[],
): string {
  const sections = new Map<string, Leaf[]>();
  for (const leaf of leaves) {
    const list = sections.get(leaf.section.key) ?? [];
    list.push(leaf);
    sections.set(leaf.section.key, list);
  }
  const parts = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config.ts by `npm run docs:config`; edit the schema, not this file. -->',
    '',
    'Gatehouse reads its configuration from the environment once at start and validates it as a',
    'whole. Empty variables count as unset; surrounding blanks are dropped. If anything is wrong it',
    'prints one `config error: NAME: …` line per bad variable (all of them at once, never echoing',
    'a secret or a URL) and exits with code 2.',
    '',
    'A variable marked "or `NAME_FILE`" can be read from a file instead (mounted secrets: one',
    'trailing newline is dropped; setting both forms, or naming an unreadable or empty file, is an',
    'error). Durations are in the unit the name says.',
  ];
  for (const group of sections.values()) {
    const { title, doc } = group[0]!.section;
    parts.push('', `## ${title}`, '');
    if (doc) parts.push(doc, '');
    for (const familyDoc of new Set(group.flatMap((leaf) => leaf.family?.info.doc ?? []))) {
      parts.push(familyDoc, '');
    }
    parts.push(
      table(
        ['Variable', 'Default', 'Allowed', 'Description'],
        group.map((leaf) => [
          variableCell(leaf.envVar),
          defaultCell(leaf.envVar),
          allowedCell(leaf),
          docCell(leaf.envVar),
        ]),
      ),
    );
  }
  if (external.length > 0) {
    parts.push(
      '',
      '## Read by Node and the SDKs',
      '',
      'Not validated by Gatehouse; listed so a deployment has every variable in one place.',
      '',
      table(
        ['Variable', 'Default', 'Description'],
        external.map((v) => [code(v.name), v.default, v.doc]),
      ),
    );
  }
  return `${parts.join('\n')}\n`;
}
