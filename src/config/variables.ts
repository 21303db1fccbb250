import {
  Type,
  type TArray,
  type TBoolean,
  type TInteger,
  type TNull,
  type TObject,
  type TOptional,
  type TProperties,
  type TRecord,
  type TSchema,
  type TString,
  type TTransform,
  type TUnion,
  type TUnsafe,
} from '@sinclair/typebox';

/**
 * Builders for the configuration schema: each returns a plain TypeBox schema (so the compiled
 * validator checks ranges, patterns and formats) carrying an `envVar` record that says where
 * the value comes from and how the reference documents it. `src/config.ts` is written with them.
 */

/** How the text of a variable becomes a value before the schema checks it. */
export type EnvKind = 'int' | 'bool' | 'enum' | 'text' | 'url' | 'list' | 'rate';

/** Resolved value of another variable, by name (used by derived defaults). */
export type Lookup = (name: string) => unknown;

export interface EnvVar {
  readonly name: string;
  readonly kind: EnvKind;
  /** One line of Markdown for the reference. */
  readonly doc: string;
  /** Older names, read when the main one is unset; the main name wins when both are set. */
  readonly aliases?: readonly string[];
  /** May be given as `<NAME>_FILE` (a mounted secret); never echoed in a problem. */
  readonly secret?: boolean;
  /** The default, in the variable's own unit (minutes, days …); absent → unset. */
  readonly default?: unknown;
  /** A default computed from other variables, e.g. `PUBLIC_URL` from `PORT`. */
  readonly derivedDefault?: (get: Lookup) => unknown;
  /** How the reference shows a derived or absent default. */
  readonly defaultDoc?: string;
  /**
   * Replaces the generic problem text for any failure of this variable; a function gets the
   * text as set (for a list: the bad item). Never include a secret's text.
   */
  readonly errorMessage?: string | ((text: string) => string);
  /** url: the accepted schemes, e.g. `['http:', 'https:']`. */
  readonly protocols?: readonly string[];
  /** url, list: drop trailing slashes (`https://id.example.com/` → `https://id.example.com`). */
  readonly trimTrailingSlash?: boolean;
  /** Overrides the reference's "allowed" cell. */
  readonly allowedDoc?: string;
  /** For a variable outside a section (a top-level key of `Config`): the section it is listed in. */
  readonly section?: string;
}

export interface EnvSchema extends TSchema {
  envVar: EnvVar;
}

/** A variable Gatehouse does not read itself (Node, an SDK does), listed in the reference. */
export interface ExternalVariable {
  readonly name: string;
  readonly default: string;
  readonly doc: string;
}

export interface SectionInfo {
  readonly title: string;
  /** A sentence or two above the section's table. */
  readonly doc?: string;
}

type Common = Pick<EnvVar, 'doc' | 'aliases' | 'errorMessage' | 'allowedDoc' | 'section'>;
type Defaulted<T> =
  | { default: T; derivedDefault?: never; defaultDoc?: string }
  | { default?: never; derivedDefault: (get: Lookup) => T; defaultDoc: string };
type Unset = { default?: never; derivedDefault?: never; defaultDoc?: string };

function leaf<S extends TSchema>(schema: S, envVar: EnvVar): S {
  (schema as unknown as EnvSchema).envVar = envVar;
  return schema;
}

export function isEnvSchema(schema: TSchema): schema is EnvSchema {
  return typeof (schema as Partial<EnvSchema>).envVar === 'object';
}

/** A top-level group of variables: one table of the reference, one key of `Config`. */
export function section<P extends TProperties>(info: SectionInfo, properties: P): TObject<P> {
  return Type.Object(properties, { section: info, additionalProperties: false });
}

/** A nested object of `Config` inside a section (no table of its own). */
export function group<P extends TProperties>(properties: P): TObject<P> {
  return Type.Object(properties, { additionalProperties: false });
}

/**
 * An integer in `[min, max]`. `scale` converts the variable's unit to the config's
 * (60: minutes → seconds); ranges and defaults are in the variable's unit.
 */
export function int(
  name: string,
  options: Common & { default: number; min: number; max: number; scale?: number },
): TTransform<TInteger, number> {
  const scale = options.scale ?? 1;
  const schema = Type.Transform(Type.Integer({ minimum: options.min, maximum: options.max }))
    .Decode((value) => value * scale)
    .Encode((value) => value / scale);
  return leaf(schema, { name, kind: 'int', ...options });
}

/** `true/false`, `1/0`, `yes/no`, `on/off`, any case. */
export function bool(name: string, options: Common & { default: boolean }): TBoolean {
  return leaf(Type.Boolean(), { name, kind: 'bool', ...options });
}

/** One of `values`, matched case-insensitively and returned in its canonical spelling. */
export function oneOf<const T extends string>(
  name: string,
  values: readonly T[],
  options: Common & { default: T },
): TUnsafe<T> {
  const schema = Type.Union(values.map((value) => Type.Literal(value)));
  return leaf(schema as unknown as TUnsafe<T>, { name, kind: 'enum', ...options });
}

/** Like `oneOf` but unset by default. */
export function optionalOneOf<const T extends string>(
  name: string,
  values: readonly T[],
  options: Common & Unset,
): TOptional<TUnsafe<T>> {
  const schema = Type.Union(values.map((value) => Type.Literal(value)));
  return Type.Optional(leaf(schema as unknown as TUnsafe<T>, { name, kind: 'enum', ...options }));
}

type TextOptions = Common & {
  secret?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
};

function textSchema(options: TextOptions): TString {
  const { minLength, maxLength, pattern, format } = options;
  return Type.String(
    Object.fromEntries(
      Object.entries({ minLength, maxLength, pattern, format }).filter(([, v]) => v !== undefined),
    ),
  );
}

/** Free text, with a default. */
export function text(name: string, options: TextOptions & Defaulted<string>): TString {
  return leaf(textSchema(options), { name, kind: 'text', ...options });
}

/** Free text, unset unless given. */
export function optionalText(name: string, options: TextOptions & Unset): TOptional<TString> {
  return Type.Optional(leaf(textSchema(options), { name, kind: 'text', ...options }));
}

type UrlOptions = Common & {
  protocols: readonly string[];
  secret?: boolean;
  trimTrailingSlash?: boolean;
};

/** A URL with one of `protocols`. Never echoed in problems: it may hold a password. */
export function url(name: string, options: UrlOptions & Defaulted<string>): TString {
  return leaf(Type.String(), { name, kind: 'url', ...options });
}

/** A URL, unset unless given. */
export function optionalUrl(name: string, options: UrlOptions & Unset): TOptional<TString> {
  return Type.Optional(leaf(Type.String(), { name, kind: 'url', ...options }));
}

/** Comma-separated items (blanks dropped, trailing slashes stripped), each matching `pattern`. */
export function list(
  name: string,
  options: Common & { pattern: string; defaultDoc: string },
): TArray<TString> {
  return leaf(Type.Array(Type.String({ pattern: options.pattern })), {
    name,
    kind: 'list',
    default: [],
    trimTrailingSlash: true,
    ...options,
  });
}

export const RateRuleSchema = Type.Object({
  points: Type.Integer({ minimum: 1 }),
  durationSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
});

/** `count/duration` (`10/1m`, `100/30s`, `5/2h`; a bare number is seconds), `0` = off (null). */
export function rate(
  name: string,
  options: Common & { default: string },
): TUnion<[typeof RateRuleSchema, TNull]> {
  return leaf(Type.Union([RateRuleSchema, Type.Null()]), {
    name,
    kind: 'rate',
    errorMessage: (text) =>
      `must be "count/duration" like 10/1m (duration 1s–24h) or 0, got "${text}"`,
    allowedDoc: '`count/duration` (s, m, h) or `0`',
    ...options,
  });
}

/** What a `family` schema carries: its members are named `<prefix><ID>_<member name>`. */
export interface EnvFamily {
  /** E.g. `IDP_`: `IDP_GOOGLE_CLIENT_ID` is member `CLIENT_ID` of instance `google`. */
  readonly prefix: string;
  /** How the reference names an instance, e.g. `<ID>`. */
  readonly placeholder: string;
  /** A sentence for the reference, above the members. */
  readonly doc: string;
}

export interface FamilySchema extends TSchema {
  envFamily: EnvFamily;
}

export function isFamilySchema(schema: TSchema): schema is FamilySchema {
  return typeof (schema as Partial<FamilySchema>).envFamily === 'object';
}

/**
 * A family of variables sharing a prefix, e.g. one identity provider per `IDP_<ID>_*` set:
 * `family('IDP_', {doc}, { clientId: text('CLIENT_ID', …), … })` reads every
 * `IDP_<ID>_CLIENT_ID` … into `Record<id, {clientId, …}>`, the id in lower case (`<ID>` is
 * letters, digits and inner `_`). Members are built with the helpers above, named by their
 * suffix; each instance is validated like any variable. Rules see the record, so "an instance
 * needs both X and Y" is a rule.
 */
export function family<P extends TProperties>(
  prefix: string,
  options: { doc: string; placeholder?: string },
  members: P,
): TRecord<TString, TObject<P>> {
  const schema = Type.Record(
    Type.String({ pattern: '^[a-z0-9]+(_[a-z0-9]+)*$' }),
    Type.Object(members, { additionalProperties: false }),
  );
  const envFamily: EnvFamily = {
    prefix,
    placeholder: options.placeholder ?? '<ID>',
    doc: options.doc,
  };
  return Object.assign(schema, { envFamily });
}
