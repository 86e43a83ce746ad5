import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Validates an OpenAPI 3.x document with an independent validator (JSON Schema of the spec). */
export function validateOpenApi(doc: unknown): { valid: boolean; errors?: unknown; version: string } {
  const res = spawnSync(process.execPath, [join(__dirname, 'validate-openapi.mjs')], { input: JSON.stringify(doc), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`validator failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}
