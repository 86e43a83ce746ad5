// A small YAML emitter for model-card front matter: mappings of scalars and lists of scalars only,
// every string double-quoted with JSON escapes (a JSON string is a valid YAML 1.2 and 1.1
// double-quoted scalar), so no value can turn into a number, a boolean or a document marker.
// Keys are emitted bare and must be plain identifiers. Tested by parsing with the `yaml` package.
export type Scalar = string | number | boolean;
export type FrontMatter = Record<string, Scalar | Scalar[] | undefined>;

const KEY = /^[a-z_][a-z0-9_]*$/;

function scalar(v: Scalar): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('YAML: numbers must be finite');
  return String(v);
}

export function toYaml(doc: FrontMatter): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (v === undefined) continue;
    if (!KEY.test(k)) throw new Error(`YAML: key ${JSON.stringify(k)} is not a plain identifier`);
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      lines.push(`${k}:`);
      for (const item of v) lines.push(`- ${scalar(item)}`);
    } else lines.push(`${k}: ${scalar(v)}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
