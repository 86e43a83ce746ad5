// The template's Lambda functions, as the local host runs them: each bundle in the cloud assembly,
// its handler, its environment (intrinsics resolved), timeout, memory and runtime.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from './template';

export interface FunctionDef {
  logicalId: string;
  name: string;
  arn: string;
  cdkPath: string;
  bundleDir: string;
  handlerFile: string;
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  runtime: string;
}

export function functionsOf(t: Template): FunctionDef[] {
  return t.ofType('AWS::Lambda::Function').flatMap(([id, r]) => {
    const assetPath = r.Metadata?.['aws:asset:path'] as string | undefined;
    if (!assetPath) return []; // inline / provider functions (custom resources) do not run locally
    const [file, exp] = String(r.Properties?.Handler ?? 'index.handler').split('.');
    const bundleDir = join(t.outDir, assetPath);
    const handlerFile = ['.js', '.cjs', '.mjs'].map((ext) => join(bundleDir, file + ext)).find((f) => existsSync(f)) ?? join(bundleDir, `${file}.js`);
    return [
      {
        logicalId: id,
        name: t.physicalName(id),
        arn: t.getAtt(id, 'Arn'),
        cdkPath: String(r.Metadata?.['aws:cdk:path'] ?? id),
        bundleDir,
        handlerFile,
        handlerExport: exp,
        environment: t.resolve(r.Properties?.Environment?.Variables ?? {}) as Record<string, string>,
        timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
        memorySize: Number(r.Properties?.MemorySize ?? 128),
        runtime: String(r.Properties?.Runtime ?? ''),
      },
    ];
  });
}
