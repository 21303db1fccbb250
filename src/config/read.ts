import {
  FormatRegistry,
  type Static,
  type StaticDecode,
  type TObject,
  type TSchema,
} from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import {
  isEnvSchema,
  isFamilySchema,
  type EnvFamily,
  type EnvSchema,
  type EnvVar,
  type SectionInfo,
} from './variables.js';

/** Every bad variable, one line each (`NAME: what is wrong`), so all are fixed in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A problem found by a cross-field rule, attributed to one variable. */
export interface Problem {
  readonly variable: string;
  readonly message: string;
}

/**
 * A rule spanning several variables. It sees every value as read (in the variables' own
 * units, defaults applied, before decoding), and returns the problems it finds.
 */
export type Rule<S extends TObject> = (
  values: Static<S>,
) => readonly (Problem | false | undefined)[];

export interface Leaf {
  readonly envVar: EnvVar;
  readonly schema: EnvSchema;
  readonly path: readonly string[];
  /** JSON pointer of the value in the schema's object, as in TypeBox errors. */
  readonly pointer: string;
  readonly section: SectionInfo & { readonly key: string };
  /** A member of a family: the leaf is a template, named `IDP_<ID>_CLIENT_ID` in the reference. */
  readonly family?: {
    readonly info: EnvFamily;
    /** Path of the family's record in the config. */
    readonly path: readonly string[];
    /** Path of the member inside one instance. */
    readonly member: readonly string[];
    /** The member's own name, e.g. `CLIENT_ID`. */
    readonly suffix: string;
  };
}

type Env = Record<string, string | undefined>;

/** Every variable of a schema, in declaration order. */
export function leavesOf(schema: TObject): Leaf[] {
  const leaves: Leaf[] = [];
  const sectionNamed = (key: string | undefined): Leaf['section'] | undefined => {
    const info = key ? (schema.properties[key] as { section?: SectionInfo }).section : undefined;
    return info && { ...info, key: key! };
  };
  const walk = (
    node: TSchema,
    path: string[],
    section: Leaf['section'] | undefined,
    family?: { info: EnvFamily; path: string[] },
  ): void => {
    if (isEnvSchema(node)) {
      const listedIn = section ?? sectionNamed(node.envVar.section);
      if (!listedIn) throw new Error(`config schema: ${node.envVar.name} is outside a section`);
      const suffix = node.envVar.name;
      leaves.push({
        envVar: family
          ? { ...node.envVar, name: `${family.info.prefix}${family.info.placeholder}_${suffix}` }
          : node.envVar,
        schema: node,
        path,
        pointer: `/${path.join('/')}`,
        section: listedIn,
        ...(family && {
          family: { ...family, member: path.slice(family.path.length), suffix },
        }),
      });
      return;
    }
    if (isFamilySchema(node)) {
      const members = Object.values(
        (node as { patternProperties?: object }).patternProperties ?? {},
      );
      walk(members[0] as TSchema, path, section, { info: node.envFamily, path });
      return;
    }
    const properties = (node as Partial<TObject>).properties;
    if (!properties) throw new Error(`config schema: /${path.join('/')} is not a variable`);
    const info = (node as { section?: SectionInfo }).section;
    const here = info ? { ...info, key: path.join('.') } : section;
    for (const [key, child] of Object.entries(properties)) {
      walk(child, [...path, key], here, family);
    }
  };
  walk(schema, [], undefined);
  return leaves;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const RATE = /^(\d{1,9})\/(\d{1,7})([smh]?)$/;
const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600 };

/** `count/duration` → `{points, durationSeconds}`, `0` → null; undefined when malformed. */
export function parseRate(text: string): { points: number; durationSeconds: number } | null {
  if (text === '0') return null;
  const match = RATE.exec(text);
  if (!match) return { points: Number.NaN, durationSeconds: Number.NaN };
  return {
    points: Number(match[1]),
    durationSeconds: Number(match[2]) * UNIT_SECONDS[match[3] ?? '']!,
  };
}

function enumValues(schema: TSchema): string[] {
  return ((schema as { anyOf?: { const: string }[] }).anyOf ?? []).map((s) => s.const);
}

const trimSlashes = (value: string) => value.replace(/\/+$/, '');

type Coerced = { value: unknown } | { message: string };

/** The text of a variable as a value of its kind, or the reason it is not one. */
function coerce(envVar: EnvVar, schema: EnvSchema, text: string): Coerced {
  const got = envVar.secret ? '' : `, got "${text}"`;
  switch (envVar.kind) {
    case 'int': {
      const value = Number(text);
      return /^-?\d+$/.test(text) && Number.isSafeInteger(value)
        ? { value }
        : { message: `must be an integer${got}` };
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE.includes(lower)) return { value: true };
      if (FALSE.includes(lower)) return { value: false };
      return { message: `must be true or false${got}` };
    }
    case 'enum': {
      const allowed = enumValues(schema);
      const match = allowed.find((a) => a.toLowerCase() === text.toLowerCase());
      return match !== undefined
        ? { value: match }
        : { message: `must be one of ${allowed.join(', ')}${got}` };
    }
    case 'url': {
      let parsed: URL;
      try {
        parsed = new URL(text);
      } catch {
        // Never echo a URL back: it may hold a password.
        return { message: 'is not a valid URL' };
      }
      const protocols = envVar.protocols ?? [];
      if (!protocols.includes(parsed.protocol)) {
        // Echo the scheme only when it is one ("user:pass@host" parses with the user as scheme).
        const scheme = text.includes('://') ? `, got ${parsed.protocol}` : '';
        return { message: `must use ${protocols.join(' or ')}${scheme}` };
      }
      return { value: envVar.trimTrailingSlash ? trimSlashes(text) : text };
    }
    case 'list':
      return {
        value: text
          .split(',')
          .map((item) => item.trim())
          .map((item) => (envVar.trimTrailingSlash ? trimSlashes(item) : item))
          .filter((item) => item !== ''),
      };
    case 'rate':
      return { value: parseRate(text) };
    case 'text':
      return { value: text };
  }
}

const FORMAT_WORDS: Record<string, string> = { email: 'an email address' };

/** Plain words for a schema violation; the value is echoed only when it is a number. */
function describe(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return `must be between ${String(schema.minimum)} and ${String(schema.maximum)}, got ${String(error.value)}`;
    case ValueErrorType.StringMinLength:
      return `must be at least ${String(schema.minLength)} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema.maxLength)} characters`;
    case ValueErrorType.StringPattern:
      return `must match ${String(schema.pattern)}`;
    case ValueErrorType.StringFormat:
      return `must be ${FORMAT_WORDS[String(schema.format)] ?? `a valid ${String(schema.format)}`}`;
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

interface Compiled<S extends TObject> {
  readonly check: TypeCheck<S>;
  readonly leaves: readonly Leaf[];
  readonly byName: ReadonlyMap<string, Leaf>;
  readonly byPointer: ReadonlyMap<string, Leaf>;
  /** Position of each variable name (aliases included) in the reference: problems sort by it. */
  readonly order: ReadonlyMap<string, number>;
  readonly families: readonly CompiledFamily[];
}

interface CompiledFamily {
  readonly info: EnvFamily;
  readonly path: readonly string[];
  readonly members: readonly Leaf[];
  /** Matches `<prefix><ID>_<suffix>` (and `…_FILE`), capturing the ID and the suffix. */
  readonly pattern: RegExp;
  readonly index: number;
}

/** The variables of one read: the schema's, plus one set per family instance found in env. */
type Active = Pick<Compiled<TObject>, 'byName' | 'byPointer' | 'order'> & {
  readonly records: readonly (readonly string[])[];
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A configuration schema and its cross-field rules. The validator is compiled on first use,
 * once per process, so importing the configuration costs nothing.
 */
export class EnvConfig<S extends TObject> {
  private compiled: Compiled<S> | undefined;

  constructor(
    readonly schema: S,
    readonly rules: readonly Rule<S>[],
    private readonly formats: Record<string, (value: string) => boolean> = {},
  ) {}

  /** Every variable, in declaration order. */
  get leaves(): readonly Leaf[] {
    return this.compile().leaves;
  }

  /** Reads and validates `env`; throws a ConfigError listing every problem. */
  read(env: Env): StaticDecode<S> {
    const { check } = this.compile();
    const { byName, byPointer, order, records } = this.activeFor(env);
    const problems: Problem[] = [];
    const setAs = new Map<string, string>(); // leaf name → the name it was set under
    const badLeaves = new Set<string>();
    const values = new Map<string, unknown>();
    const resolving = new Set<string>();

    const fallback = (envVar: EnvVar): unknown => {
      if (envVar.derivedDefault) return envVar.derivedDefault(get);
      if (envVar.kind === 'rate' && typeof envVar.default === 'string') {
        return parseRate(envVar.default);
      }
      return envVar.default;
    };
    const resolve = (leaf: Leaf): unknown => {
      const { envVar } = leaf;
      if (values.has(envVar.name)) return values.get(envVar.name);
      if (resolving.has(envVar.name)) throw new Error(`config schema: ${envVar.name} cycles`);
      resolving.add(envVar.name);
      let value: unknown;
      const found = rawValue(env, envVar);
      if (found) {
        setAs.set(envVar.name, found.name);
        const coerced = coerce(envVar, leaf.schema, found.text);
        if ('message' in coerced) {
          problems.push({
            variable: found.name,
            message: messageFor(envVar, found.text, coerced.message),
          });
          badLeaves.add(envVar.name);
          value = fallback(envVar);
        } else {
          value = coerced.value;
        }
      } else {
        value = fallback(envVar);
      }
      resolving.delete(envVar.name);
      values.set(envVar.name, value);
      return value;
    };
    function get(name: string): unknown {
      const leaf = byName.get(name);
      if (!leaf) throw new Error(`config schema: no variable ${name}`);
      return resolve(leaf);
    }

    const encoded: Record<string, unknown> = {};
    for (const record of records) setAt(encoded, record, {});
    for (const leaf of byName.values()) setAt(encoded, leaf.path, resolve(leaf));

    if (!check.Check(encoded)) {
      for (const error of check.Errors(encoded)) {
        const leaf = leafAt(byPointer, error.path);
        if (!leaf) {
          // Only a schema mistake gets here (a value no variable holds); never pass it silently.
          problems.push({ variable: error.path, message: describe(error) });
          continue;
        }
        if (badLeaves.has(leaf.envVar.name)) continue;
        badLeaves.add(leaf.envVar.name);
        const name = setAs.get(leaf.envVar.name) ?? leaf.envVar.name;
        const text =
          leaf.envVar.kind === 'list' ? String(error.value) : rawValue(env, leaf.envVar)?.text;
        problems.push({
          variable: name,
          message: messageFor(leaf.envVar, text ?? '', describe(error)),
        });
      }
    }
    for (const rule of this.rules) {
      for (const problem of rule(encoded as Static<S>)) if (problem) problems.push(problem);
    }

    if (problems.length > 0) {
      const seen = new Set<string>();
      const lines = problems
        .map((problem, index) => ({ problem, index }))
        .sort(
          (a, b) =>
            (order.get(a.problem.variable) ?? Infinity) -
              (order.get(b.problem.variable) ?? Infinity) || a.index - b.index,
        )
        .filter(({ problem }) => !seen.has(problem.variable) && seen.add(problem.variable))
        .map(({ problem }) => `${problem.variable}: ${problem.message}`);
      throw new ConfigError(lines);
    }
    return check.Decode(encoded);
  }

  private compile(): Compiled<S> {
    if (this.compiled) return this.compiled;
    for (const [name, test] of Object.entries(this.formats)) {
      if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, test);
    }
    const leaves = leavesOf(this.schema);
    const byName = new Map<string, Leaf>();
    const order = new Map<string, number>();
    const families = new Map<
      string,
      { info: EnvFamily; path: readonly string[]; members: Leaf[]; index: number }
    >();
    for (const [index, leaf] of leaves.entries()) {
      if (leaf.family) {
        const key = leaf.family.path.join('/');
        const found = families.get(key) ?? { ...leaf.family, members: [], index };
        found.members.push(leaf);
        families.set(key, found);
        continue;
      }
      for (const name of [leaf.envVar.name, ...(leaf.envVar.aliases ?? [])]) {
        if (order.has(name)) throw new Error(`config schema: ${name} is declared twice`);
        order.set(name, index);
      }
      byName.set(leaf.envVar.name, leaf);
    }
    this.compiled = {
      check: TypeCompiler.Compile(this.schema),
      leaves,
      byName,
      byPointer: new Map([...byName.values()].map((leaf) => [leaf.pointer, leaf])),
      order,
      families: [...families.values()].map((family) => {
        const suffixes = family.members
          .map((leaf) => leaf.family!.suffix)
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp);
        return {
          ...family,
          pattern: new RegExp(
            `^${escapeRegExp(family.info.prefix)}([A-Z0-9]+(?:_[A-Z0-9]+)*?)_(${suffixes.join('|')})(?:_FILE)?$`,
          ),
        };
      }),
    };
    return this.compiled;
  }

  /** Names of the variables that may be given as `<NAME>_FILE`, family instances in env included. */
  secretNames(env: Env): string[] {
    return [...this.activeFor(env).byName.values()]
      .filter((leaf) => leaf.envVar.secret)
      .map((leaf) => leaf.envVar.name);
  }

  private activeFor(env: Env): Active {
    const compiled = this.compile();
    if (compiled.families.length === 0) return { ...compiled, records: [] };
    const byName = new Map(compiled.byName);
    const byPointer = new Map(compiled.byPointer);
    const order = new Map(compiled.order);
    for (const family of compiled.families) {
      const ids = new Set<string>();
      for (const [key, value] of Object.entries(env)) {
        const match = family.pattern.exec(key);
        if (match && value?.trim()) ids.add(match[1]!);
      }
      for (const id of [...ids].sort()) {
        for (const member of family.members) {
          const name = `${family.info.prefix}${id}_${member.family!.suffix}`;
          const path = [...family.path, id.toLowerCase(), ...member.family!.member];
          const leaf: Leaf = {
            envVar: { ...member.envVar, name, aliases: [] },
            schema: member.schema,
            path,
            pointer: `/${path.join('/')}`,
            section: member.section,
          };
          byName.set(name, leaf);
          byPointer.set(leaf.pointer, leaf);
          order.set(name, family.index);
        }
      }
    }
    return { byName, byPointer, order, records: compiled.families.map((f) => f.path) };
  }
}

function messageFor(envVar: EnvVar, text: string, generic: string): string {
  const custom = envVar.errorMessage;
  if (custom === undefined) return generic;
  return typeof custom === 'string' ? custom : custom(text);
}

/** The first of the name and its aliases that is set and not blank, trimmed. */
function rawValue(env: Env, envVar: EnvVar): { name: string; text: string } | undefined {
  for (const name of [envVar.name, ...(envVar.aliases ?? [])]) {
    const text = env[name]?.trim();
    if (text) return { name, text };
  }
  return undefined;
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

/** The variable whose value holds `pointer` (the error may be inside it: a list item, a field). */
function leafAt(byPointer: ReadonlyMap<string, Leaf>, pointer: string): Leaf | undefined {
  for (let path = pointer; path !== ''; path = path.slice(0, path.lastIndexOf('/'))) {
    const leaf = byPointer.get(path);
    if (leaf) return leaf;
  }
  return undefined;
}
