/**
 * A reader of the Prometheus text format (0.0.4) for tests: families by name, each with its
 * declared type and its samples (`_count`/`_sum`/`_bucket` lines belong to their family).
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly type: string;
  readonly samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: { name: string; family: Family } | undefined;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      current = { name: type[1]!, family: { type: type[2]!, samples: [] } };
      families.set(current.name, current.family);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(LABEL)].map((x) => [x[1]!, x[2]!]));
    const sample = { name: m[1]!, labels, value: Number(m[3]) };
    if (current && sample.name.startsWith(current.name)) current.family.samples.push(sample);
  }
  return families;
}
