// Gives in-process tests the stage configuration the bundles get at synth (process.env.KAIRR_CONFIG).
import { loadStageConfig } from '../../lib/config/load';
import { runtimeConfigOf, type RuntimeConfig } from '../../lib/config/schema';
import { resetRuntimeConfig } from '../../lambdas/shared/config';

export function useStageConfig(stage = 'local', patch?: (c: RuntimeConfig) => RuntimeConfig): RuntimeConfig {
  let cfg = runtimeConfigOf(loadStageConfig(stage));
  if (patch) cfg = patch(structuredClone(cfg));
  process.env.KAIRR_CONFIG = JSON.stringify(cfg);
  resetRuntimeConfig();
  return cfg;
}
