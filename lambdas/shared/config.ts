// Run-time configuration. The stage's public configuration (sites, resources, rates, policy) is
// compiled into each bundle at synth (esbuild `define` of process.env.KAIRR_CONFIG), so a deployed
// function cannot drift from the config it was synthesized with. Resource names (tables, buckets,
// state machines) arrive as environment variables set by the grant helpers. Secrets never do.
import type { Site } from '../domain/catalogue';
import type { StagePolicy } from '../domain/stage-policy';

/** What the Lambdas need of the stage config at run time: public, no secrets (lib/config/schema.ts runtimeConfigOf). */
export interface RuntimeConfig {
  stage: string;
  sites: Site[];
  groupsClaim: string;
  policy: StagePolicy;
}

let cached: RuntimeConfig | undefined;

export function runtimeConfig(): RuntimeConfig {
  if (cached) return cached;
  const raw = process.env.KAIRR_CONFIG;
  if (!raw) throw new Error('KAIRR_CONFIG is not set: the bundle was built without the stage configuration');
  cached = JSON.parse(raw) as RuntimeConfig;
  return cached;
}

/** For tests that swap the configuration. */
export function resetRuntimeConfig(): void {
  cached = undefined;
}

/** A required environment variable; a missing one fails at cold start, not on first use. */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`Environment variable ${name} is not set`);
  return v;
}
