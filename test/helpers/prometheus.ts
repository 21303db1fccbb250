/**
 * A strict reader of the Prometheus text exposition format (0.0.4), enough to check what
 * `GET /metrics` serves: every sample belongs to a family with HELP and TYPE, names and labels
 * are well formed, values are numbers, histograms are complete. Throws on the first problem.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', ''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${line})`;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!name || !NAME.test(name)) throw new Error(`bad metric name at ${where}`);
      const family = families.get(name) ?? {
        name,
        help: '',
        type: 'untyped' as const,
        samples: [],
      };
      if (family.samples.length > 0) throw new Error(`metadata after samples at ${where}`);
      if (kind === 'HELP') family.help = rest.join(' ');
      else {
        if (!TYPES.includes(rest[0] ?? '')) throw new Error(`bad type at ${where}`);
        family.type = rest[0] as Family['type'];
      }
      families.set(name, family);
      return;
    }
    if (line.startsWith('#') || line === '') return;
    const sample = parseSample(line, where);
    const family = [...families.values()].find((f) =>
      SUFFIXES[f.type]!.some((suffix) => `${f.name}${suffix}` === sample.name),
    );
    if (!family) throw new Error(`sample without HELP/TYPE at ${where}`);
    family.samples.push(sample);
  });
  for (const family of families.values()) {
    if (!family.help) throw new Error(`${family.name} has no HELP`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

function parseSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (!match) throw new Error(`bad sample at ${where}`);
  const labels: Record<string, string> = {};
  let rest = match[3] ?? '';
  while (rest.length > 0) {
    const label = /^([^=]+)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/.exec(rest);
    if (!label || !LABEL.test(label[1]!)) throw new Error(`bad labels at ${where}`);
    if (label[1]! in labels) throw new Error(`duplicate label at ${where}`);
    labels[label[1]!] = label[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    rest = rest.slice(label[0].length);
  }
  // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case.
  const raw = match[4]!.toLowerCase();
  const special: Record<string, number> = {
    nan: NaN,
    '+inf': Infinity,
    inf: Infinity,
    '-inf': -Infinity,
  };
  const value = raw in special ? special[raw]! : Number(raw);
  if (!(raw in special) && (Number.isNaN(value) || !/^[-+]?[\d.]+(e[-+]?\d+)?$/.test(raw)))
    throw new Error(`bad value at ${where}`);
  return { name: match[1]!, labels, value };
}

/** Each label set has buckets ascending to le="+Inf", cumulative, and +Inf equal to _count. */
function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(rest);
    const entry = series.get(key) ?? { buckets: [] };
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([le === '+Inf' ? Infinity : Number(le), sample.value]);
    } else if (sample.name.endsWith('_count')) entry.count = sample.value;
    else entry.sum = sample.value;
    series.set(key, entry);
  }
  for (const [key, { buckets, count, sum }] of series) {
    const last = buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (count === undefined || sum === undefined)
      throw new Error(`${family.name}${key}: no _count or _sum`);
    if (last[1] !== count) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]![0] <= buckets[i - 1]![0] || buckets[i]![1] < buckets[i - 1]![1])
        throw new Error(`${family.name}${key}: buckets not ascending and cumulative`);
    }
  }
}

/** The value of one sample, matched on the given labels; undefined when absent. */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    const sample = family.samples.find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    if (sample) return sample.value;
  }
  return undefined;
}
