/** A parsed Prometheus text exposition: `# TYPE` per metric family and every sample. */
export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly { name: string; labels: Record<string, string>; value: number }[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses what `GET /metrics` answers (enough of the format for assertions). */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

/** Samples of one series name whose labels include `match`. */
export const select = (e: Exposition, name: string, match: Record<string, string> = {}) =>
  e.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );

/** The sum of the selected samples' values. */
export const sum = (e: Exposition, name: string, match: Record<string, string> = {}) =>
  select(e, name, match).reduce((total, s) => total + s.value, 0);
