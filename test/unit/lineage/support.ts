// The events of both directions of the cross-site cycle, as the pipeline flow will emit them, and
// ajv over the shipped OpenLineage 2-0-2 schemas.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import core from '../../../lambdas/domain/lineage/openlineage/OpenLineage.json';
import parentFacet from '../../../lambdas/domain/lineage/openlineage/ParentRunFacet.json';
import symlinksFacet from '../../../lambdas/domain/lineage/openlineage/SymlinksDatasetFacet.json';
import jobTypeFacet from '../../../lambdas/domain/lineage/openlineage/JobTypeJobFacet.json';
import errorFacet from '../../../lambdas/domain/lineage/openlineage/ErrorMessageRunFacet.json';
import type { PhysicalCopy, RunEvent } from '../../../lambdas/domain/lineage/events';
import { pipelineEvent, stageEvent, type PipelineRunRef, type StageRunRef } from '../../../lambdas/domain/lineage/stage-events';

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
for (const s of [core, parentFacet, symlinksFacet, jobTypeFacet, errorFacet]) ajv.addSchema(s);
const validateCore = ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json')!;
// the events' schemaURL: a RunEvent (the core's oneOf would also take an event without a run as a JobEvent)
const validateRunEvent = ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')!;
const facetSchemas: Record<string, string> = {
  parent: 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json',
  symlinks: 'https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json',
};

/** ajv's verdict: the core schema, and each facet KAIRR uses against its own facet schema. */
export function ajvErrors(event: unknown): string[] {
  const errs: string[] = [];
  if (!validateCore(event)) errs.push(...(validateCore.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  if (!validateRunEvent(event)) errs.push(...(validateRunEvent.errors ?? []).map((e) => `RunEvent${e.instancePath} ${e.message}`));
  const e = event as { run?: { facets?: object }; job?: { facets?: object }; inputs?: { facets?: object }[]; outputs?: { facets?: object }[] };
  const facetMaps = [e?.run?.facets, e?.job?.facets, ...(Array.isArray(e?.inputs) ? e.inputs : []).map((d) => d?.facets), ...(Array.isArray(e?.outputs) ? e.outputs : []).map((d) => d?.facets)];
  for (const map of facetMaps) {
    if (typeof map !== 'object' || map === null) continue;
    for (const [name, f] of Object.entries(map)) {
      const id = facetSchemas[name];
      if (!id) continue;
      const v = ajv.getSchema(id)!;
      if (!v({ [name]: f })) errs.push(...(v.errors ?? []).map((x) => `${name}${x.instancePath} ${x.message}`));
    }
  }
  return errs;
}

const AT = (min: number) => new Date(Date.UTC(2026, 5, 1, 9, min));
export const KS: PipelineRunRef = { pipelineId: 'pipe-ks', executionId: 'exec-ks-1' };
export const SK: PipelineRunRef = { pipelineId: 'pipe-sk', executionId: 'exec-sk-1' };
const K6 = '/srv/kairr/storage';
const SPC = '/scratch/kairr';
const st = (pipeline: PipelineRunRef, stageId: string, kind: StageRunRef['kind'], site: string): StageRunRef => ({ pipeline, stageId, kind, site, attempt: 1 });
const CLIMATE = { artifact: 'ds-climate', version: '3' };
const ANALYSIS = { artifact: 'ds-sim', version: '1' };
const MODEL = { artifact: 'model-weather', version: '1' };
const REPORT = { artifact: 'ds-report', version: '1' };

/** START and COMPLETE of each stage of KISTI-6 → SPC, then SPC → KISTI-6 on the trained model. */
export function cycleEvents(): RunEvent[] {
  const simulate = st(KS, 'simulate', 'job', 'kisti6');
  const regData = st(KS, 'register-data', 'registration', 'kisti6');
  const move = st(KS, 'move', 'transfer', 'spc');
  const train = st(KS, 'train', 'job', 'spc');
  const regModel = st(KS, 'register-model', 'registration', 'spc');
  const simOut = { site: 'kisti6', path: `${K6}/pipelines/pipe-ks/simulate/out` };
  const modelOut = { site: 'spc', path: `${SPC}/pipelines/pipe-ks/train/model.pt` };
  const move2 = st(SK, 'move', 'transfer', 'kisti6');
  const analyse = st(SK, 'analyse', 'job', 'kisti6');
  const regReport = st(SK, 'register-report', 'registration', 'kisti6');
  const report = { site: 'kisti6', path: `${K6}/pipelines/pipe-sk/analyse/report.json` };
  const both = (s: StageRunRef, t: number, inputs: PhysicalCopy[], outputs: PhysicalCopy[]) => [stageEvent(s, 'START', AT(t), { inputs }), stageEvent(s, 'COMPLETE', AT(t + 1), { inputs, outputs })];
  return [
    pipelineEvent(KS, 'START', AT(0)),
    ...both(simulate, 1, [{ site: 'kisti6', path: `${K6}/catalogue/ds-climate/3`, version: CLIMATE }], [simOut]),
    ...both(regData, 3, [simOut], [{ ...simOut, version: ANALYSIS }]),
    ...both(move, 5, [{ ...simOut, version: ANALYSIS }], [{ site: 'spc', path: `${SPC}/catalogue/ds-sim/1`, version: ANALYSIS }]),
    ...both(train, 7, [{ site: 'spc', path: `${SPC}/catalogue/ds-sim/1`, version: ANALYSIS }], [modelOut]),
    ...both(regModel, 9, [modelOut], [{ ...modelOut, version: MODEL }]),
    pipelineEvent(KS, 'COMPLETE', AT(11)),
    pipelineEvent(SK, 'START', AT(20)),
    ...both(move2, 21, [{ ...modelOut, version: MODEL }], [{ site: 'kisti6', path: `${K6}/catalogue/model-weather/1`, version: MODEL }]),
    ...both(
      analyse,
      23,
      [
        { site: 'kisti6', path: `${K6}/catalogue/model-weather/1`, version: MODEL },
        { site: 'kisti6', path: `${K6}/catalogue/ds-climate/3`, version: CLIMATE },
      ],
      [report],
    ),
    ...both(regReport, 25, [report], [{ ...report, version: REPORT }]),
    pipelineEvent(SK, 'COMPLETE', AT(27)),
  ];
}
