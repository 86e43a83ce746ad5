// Loads an example pipeline: the JSON with ${VARS} filled in (a missing one is an error, never an
// empty string) and each "@file.sh" script replaced by that file's text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadExample(name: string, vars: Record<string, string>): unknown {
  const text = readFileSync(join(__dirname, name), 'utf8').replace(/\$\{([A-Z0-9_]+)\}/g, (_, v: string) => {
    const value = vars[v];
    if (value === undefined) throw new Error(`${name} needs ${v}`);
    return value;
  });
  const body = JSON.parse(text) as { stages: { script?: string }[] };
  for (const s of body.stages) if (s.script?.startsWith('@')) s.script = readFileSync(join(__dirname, s.script.slice(1)), 'utf8');
  return body;
}
