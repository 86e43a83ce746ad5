// The package is usable apart from KAIRR: its files (package.json "files") import nothing outside
// the package and no KAIRR binding file, and every package they import is one the package
// declares. The binding, in turn, reaches the package only through its public face (index.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
const BINDING = ['runtime.ts', 'build.ts', 'start.ts', 'oidc-server.ts', 'slurm-secrets.ts', 'dev-identities.ts', 'site-agent.ts', 'pipelines-storage.ts', 'rsyncd.ts'];

function filesUnder(entry: string): string[] {
  const p = join(ROOT, entry);
  if (!existsSync(p)) return [];
  if (statSync(p).isDirectory()) return readdirSync(p).flatMap((e) => filesUnder(join(entry, e)));
  return /\.(ts|js|mjs)$/.test(entry) ? [entry] : [];
}

function specifiers(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const found = [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g), ...src.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g), ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return found.map((m) => m[1]);
}

const packageFiles = pkg.files.flatMap(filesUnder);

test('the package has files, and no binding file is among them', () => {
  expect(packageFiles.length).toBeGreaterThan(20);
  expect(packageFiles.filter((f) => BINDING.includes(f))).toEqual([]);
});

test('package files import only package files, node built-ins and declared dependencies', () => {
  const problems: string[] = [];
  for (const file of packageFiles) {
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) {
        const target = relative(ROOT, resolve(dirname(join(ROOT, file)), spec));
        if (target.startsWith('..')) problems.push(`${file} imports ${spec}, outside the package`);
        else if (BINDING.some((b) => target === b.replace(/\.ts$/, '') || target === b)) problems.push(`${file} imports the binding's ${spec}`);
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (spec.startsWith('node:') || builtinModules.includes(name)) continue;
      if (!(name in pkg.dependencies)) problems.push(`${file} imports ${name}, which local/package.json does not declare`);
    }
  }
  expect(problems).toEqual([]);
});

test('the KAIRR binding reaches the package only through index.ts', () => {
  const problems: string[] = [];
  for (const file of BINDING) {
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('./')) continue;
      const target = spec.slice(2).replace(/\.ts$/, '');
      if (target !== 'index' && !BINDING.includes(`${target}.ts`)) problems.push(`${file} imports ${spec}`);
    }
  }
  expect(problems).toEqual([]);
});
