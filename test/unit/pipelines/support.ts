// A world for the pipeline validator: the local stage's sites, two allocations (one per site), a
// dataset with a verified copy at kisti6, a restricted dataset at spc, a model artifact to register.
import { loadStageConfig } from '../../../lib/config/load';
import type { CatalogueVersion, Permit, ValidationContext } from '../../../lambdas/domain/pipelines/context';
import { CreatePipelineBody, type PipelineSpec } from '../../../lambdas/domain/pipelines/spec';
import { issuesToDetails } from '../../../lambdas/shared/validation';

export const ALICE = 'sub-alice';
export const NOW = new Date('2026-06-01T00:00:00Z');
const sites = loadStageConfig('local').sites;

export const CLIMATE: CatalogueVersion = {
  artifact: 'ds-climate',
  version: '3',
  type: 'dataset',
  accessLevel: 'public',
  locations: [
    { site: 'kisti6', path: 'catalogue/ds-climate/3', state: 'verified', verifiedAt: '2026-05-01T00:00:00Z' },
    { site: 'spc', path: 'catalogue/ds-climate/3', state: 'pending' },
  ],
};
export const PATIENTS: CatalogueVersion = {
  artifact: 'ds-patients',
  version: '1',
  type: 'dataset',
  accessLevel: 'restricted',
  locations: [{ site: 'spc', path: 'catalogue/ds-patients/1', state: 'verified' }],
};
export const PERMIT_SPC: Permit = { id: 'permit-1', datasets: ['ds-patients'], users: [ALICE], sites: ['spc'], start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' };

export function world(over: Partial<ValidationContext> = {}): ValidationContext {
  return {
    caller: { sub: ALICE },
    now: NOW,
    sites,
    maxJobScriptBytes: 65536,
    allocations: {
      'alloc-spc': { id: 'alloc-spc', state: 'active', callerIsMember: true, resources: ['spc/h200', 'spc/b200'] },
      'alloc-k6': { id: 'alloc-k6', state: 'active', callerIsMember: true, resources: ['kisti6/gh200'] },
      'alloc-other': { id: 'alloc-other', state: 'active', callerIsMember: false, resources: ['spc/h200'] },
      'alloc-old': { id: 'alloc-old', state: 'expired', callerIsMember: true, resources: ['spc/h200'] },
    },
    versions: [CLIMATE, PATIENTS],
    artifacts: {
      'model-weather': { id: 'model-weather', type: 'model', canAddVersion: true },
      'ds-analysis': { id: 'ds-analysis', type: 'dataset', canAddVersion: true },
      'ds-someone-elses': { id: 'ds-someone-elses', type: 'dataset', canAddVersion: false },
    },
    permits: [],
    ...over,
  };
}

const SCRIPT = '#!/bin/bash\necho train\n';

/** KISTI-6 → SPC: simulate at kisti6, register, move to spc, train at spc/b200, register the model. */
export function kistiToSpc(): unknown {
  return {
    name: 'simulate-then-train',
    stages: [
      {
        id: 'simulate',
        kind: 'job',
        site: 'kisti6',
        resource: 'gh200',
        allocationId: 'alloc-k6',
        script: SCRIPT,
        gpus: 4,
        timeLimit: 60,
        inputs: [{ from: { artifact: 'ds-climate', version: '3' }, as: 'climate' }],
        outputs: [{ name: 'fields', path: 'out/fields/' }],
      },
      { id: 'register-data', kind: 'registration', artifact: 'ds-analysis', outputs: [{ stage: 'simulate', output: 'fields' }] },
      { id: 'move', kind: 'transfer', from: 'kisti6', to: 'spc', items: [{ stage: 'register-data' }] },
      {
        id: 'train',
        kind: 'job',
        site: 'spc',
        resource: 'b200',
        allocationId: 'alloc-spc',
        script: SCRIPT,
        gpus: 4,
        timeLimit: 120,
        inputs: [{ from: { stage: 'register-data' }, as: 'data' }],
        outputs: [{ name: 'model', path: 'model.pt' }],
      },
      { id: 'register-model', kind: 'registration', artifact: 'model-weather', outputs: [{ stage: 'train', output: 'model' }] },
    ],
  };
}

/** Parse like the router does; throws with the details when the body is malformed. */
export function parseBody(body: unknown): PipelineSpec {
  const r = CreatePipelineBody.safeParse(body, { reportInput: true });
  if (!r.success) throw new Error(JSON.stringify(issuesToDetails(r.error.issues)));
  return r.data;
}

export function bodyProblems(body: unknown) {
  const r = CreatePipelineBody.safeParse(body, { reportInput: true });
  return r.success ? [] : issuesToDetails(r.error.issues);
}

/** A deep copy of a body with one stage changed. */
export function withStage(body: unknown, id: string, change: Record<string, unknown>): unknown {
  const b = structuredClone(body) as { stages: Record<string, unknown>[] };
  const i = b.stages.findIndex((s) => s.id === id);
  b.stages[i] = { ...b.stages[i], ...change };
  return b;
}
