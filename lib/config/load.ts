import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { StageConfigSchema, type StageConfig } from './schema';
import { issuesToDetails } from '../../lambdas/shared/validation';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; problem: string }[],
  ) {
    super(`Invalid stage configuration ${file}:\n` + problems.map((p) => `  - ${p.path || '(root)'}: ${p.problem}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export function parseStageConfig(raw: unknown, file = '(inline)'): StageConfig {
  const res = StageConfigSchema.safeParse(raw, { reportInput: true });
  if (!res.success) throw new ConfigError(file, issuesToDetails(res.error.issues));
  return res.data;
}

export function loadStageConfig(stage: string, dir = join(__dirname, '..', '..', 'config')): StageConfig {
  if (!/^[a-z][a-z0-9-]{1,20}$/.test(stage)) throw new ConfigError(stage, [{ path: 'stage', problem: 'must be lower-case letters, digits and dashes' }]);
  const file = join(dir, `${stage}.json`);
  if (!existsSync(file)) throw new ConfigError(file, [{ path: '(file)', problem: `no configuration for stage "${stage}"; expected ${file}` }]);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(file, [{ path: '(file)', problem: `is not valid JSON: ${(e as Error).message}` }]);
  }
  const cfg = parseStageConfig(raw, file);
  if (cfg.stage !== stage) throw new ConfigError(file, [{ path: 'stage', problem: `is "${cfg.stage}" but the file is selected as stage "${stage}"` }]);
  return cfg;
}
