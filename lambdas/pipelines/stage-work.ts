// What a stage's start dispatches: the job request for the jobs capability (a job stage's own
// script with KAIRR's prologue, or a transfer's mover script) and the physical copies it reads and
// writes (for lineage). Paths follow the one layout under every site's storage root (storage.ts).
import type { PhysicalCopy } from '../domain/lineage/events';
import { shellQuote } from '../domain/pipelines/movers';
import type { PlannedInput, PlannedStage } from '../domain/pipelines/plan';
import type { JobStage, RegistrationStage, Stage, TransferStage } from '../domain/pipelines/spec';
import { atSite, catalogueCopyPath, remoteFolder, stageWorkPath, type SiteStorage } from '../domain/pipelines/storage';
import { transferScript, TransferScriptError } from '../domain/pipelines/transfer-script';
import { runtimeConfig } from '../shared/config';
import type { DispatchBody } from '../jobs/index';
import { readManifest } from '../datahub/index';
import { pipelinesConfig } from './config';
import { RegistrationNotRunnable, registrationWork, type RegisteredVersion } from './registration';

/** The stage cannot run as declared in this KAIRR (named code and reason): it fails at once, without a job. */
export class StageNotRunnable extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface StageWork {
  allocationId: string;
  body: DispatchBody;
  inputs: PhysicalCopy[];
  outputs: PhysicalCopy[];
  /** A registration's version, kept on the pipeline from its first start. */
  registered?: RegisteredVersion;
}

export interface StageRunIds {
  pipelineId: string;
  stageId: string;
  attempt: number;
}

/** Where a transfer job writes its result, at the destination. */
export const transferResultPath = (storage: Pick<SiteStorage, 'root'>, pipelineId: string, stageId: string) => atSite(storage, `${stageWorkPath(pipelineId, stageId)}/.kairr/transfer.json`);

/** KAIRR's id of one attempt of a stage: the dispatch's Idempotency-Key and the transfer's id. */
export const stageRunKey = (r: StageRunIds) => `pipeline.${r.pipelineId}.${r.stageId}.${r.attempt}`;

function storageAt(site: string, why: string): SiteStorage {
  const s = pipelinesConfig().storage[site];
  if (!s) throw new StageNotRunnable('storage_not_configured', `${site} has no pipelines storage configured (PIPELINES_CONFIG.storage.${site}), which ${why} needs`);
  return s;
}

/** The version a registration stage made (its label is kept on the pipeline from the stage's start). */
function registeredOf(stage: string, registered: Record<string, RegisteredVersion>): RegisteredVersion {
  const r = registered[stage];
  if (!r) throw new StageNotRunnable('registration_missing', `reads the version stage "${stage}" registers, which has no version yet`);
  return r;
}

/** Where a job stage's input is at its site, relative to the site's storage root. */
function inputPath(input: PlannedInput, pipelineId: string, declared: ReadonlyMap<string, Stage>, registered: Record<string, RegisteredVersion>): string {
  const d = input.datum;
  if (input.source.from === 'catalogue') return input.source.path;
  if (d.kind === 'version') return catalogueCopyPath(d.ref.artifact, d.ref.version);
  if (d.kind === 'output') {
    const producer = declared.get(d.stage) as JobStage;
    const out = producer.outputs.find((o) => o.name === d.output)!;
    return `${stageWorkPath(pipelineId, d.stage)}/${out.path}`;
  }
  // a registered version's copy: made at its site by the registration, or brought by a transfer
  const r = registeredOf(d.stage, registered);
  return catalogueCopyPath(r.artifact, r.version);
}

function jobWork(stage: JobStage, planned: PlannedStage, ids: StageRunIds, declared: ReadonlyMap<string, Stage>, registered: Record<string, RegisteredVersion>): StageWork {
  const hasData = planned.inputs.length > 0 || stage.outputs.length > 0;
  const storage = hasData ? storageAt(stage.site, 'a job stage that reads or writes data') : pipelinesConfig().storage[stage.site];
  const workdir = storage ? atSite(storage, stageWorkPath(ids.pipelineId, ids.stageId)) : undefined;
  const exports = [
    `export KAIRR_PIPELINE_ID=${shellQuote(ids.pipelineId)} KAIRR_STAGE_ID=${shellQuote(ids.stageId)} KAIRR_ATTEMPT=${ids.attempt}`,
    workdir ? `export KAIRR_WORKDIR=${shellQuote(workdir)}` : 'export KAIRR_WORKDIR="$PWD"',
    // made by the job itself: the scheduler opens the job's output file in its working directory
    // before the script runs, so the job starts in the dispatch path's default one and moves here
    'mkdir -p -- "$KAIRR_WORKDIR" && cd -- "$KAIRR_WORKDIR" || exit 1',
  ];
  const inputs: PhysicalCopy[] = [];
  for (const input of planned.inputs) {
    const path = atSite(storage!, inputPath(input, ids.pipelineId, declared, registered));
    if (input.as) exports.push(`export KAIRR_INPUT_${input.as.toUpperCase()}=${shellQuote(path)}`);
    const version = input.datum.kind === 'version' ? input.datum.ref : input.datum.kind === 'registered' ? refOf(registeredOf(input.datum.stage, registered)) : undefined;
    inputs.push({ site: stage.site, path, ...(version ? { version } : {}) });
  }
  // The reserved KAIRR_ names are refused in a request's env, so the flow sets them in a prologue
  // right after the interpreter line (the job's own lines follow unchanged).
  const [shebang, ...rest] = stage.script.split('\n');
  const script = [shebang, '# ---- set by KAIRR (pipeline stage) ----', ...exports, '# ---- end KAIRR ----', ...rest].join('\n');
  return {
    allocationId: stage.allocationId,
    body: {
      site: stage.site,
      resource: stage.resource,
      script,
      gpus: stage.gpus,
      nodes: stage.nodes,
      timeLimit: stage.timeLimit,
      name: `${ids.stageId}`,
      ...(stage.env ? { env: stage.env } : {}),
    },
    inputs,
    outputs: stage.outputs.map((o) => ({ site: stage.site, path: workdir ? `${workdir}/${o.path}` : o.path })),
  };
}

const refOf = (r: RegisteredVersion) => ({ artifact: r.artifact, version: r.version });

/** The one version a transfer moves and its folder at the source: a catalogue version's verified copy, or the version a registration made there. */
function movedVersion(planned: PlannedStage, registered: Record<string, RegisteredVersion>): { ref: { artifact: string; version: string }; sourcePath: string } {
  const input = planned.inputs.length === 1 ? planned.inputs[0] : undefined;
  if (input?.datum.kind === 'version' && input.source.from === 'catalogue') return { ref: input.datum.ref, sourcePath: input.source.path };
  if (input?.datum.kind === 'registered') {
    const ref = refOf(registeredOf(input.datum.stage, registered));
    return { ref, sourcePath: catalogueCopyPath(ref.artifact, ref.version) };
  }
  throw new StageNotRunnable(
    'transfer_not_supported',
    "only a transfer of one version (a catalogue version with a verified copy at its source, or one a registration stage made) runs in this KAIRR yet; move a job's outputs by registering them first",
  );
}

async function transferWork(stage: TransferStage, planned: PlannedStage, ids: StageRunIds, registered: Record<string, RegisteredVersion>): Promise<StageWork> {
  const { ref, sourcePath } = movedVersion(planned, registered);
  const from = storageAt(stage.from, 'a transfer from it');
  const to = storageAt(stage.to, 'a transfer to it');
  const manifest = await readManifest(ref.artifact, ref.version);
  if (!manifest || manifest.length === 0) throw new StageNotRunnable('manifest_missing', `${ref.artifact}@${ref.version} has no manifest to verify a copy against`);
  const relative = catalogueCopyPath(ref.artifact, ref.version);
  const destination = atSite(to, relative);
  const resource = runtimeConfig()
    .sites.find((s) => s.id === stage.to)
    ?.resources.find((r) => r.id === planned.resource);
  let script: string;
  try {
    script = transferScript({
      transferId: stageRunKey(ids),
      label: `${ref.artifact}@${ref.version} ${stage.from} → ${stage.to}`,
      source: remoteFolder(from, sourcePath),
      destination,
      resultFile: transferResultPath(to, ids.pipelineId, ids.stageId),
      manifest,
      mover: to.mover,
    });
  } catch (e) {
    if (e instanceof TransferScriptError) throw new StageNotRunnable('manifest_invalid', e.message);
    throw e;
  }
  return {
    allocationId: planned.allocationId!,
    // The dispatch path takes at least one GPU; a 0-GPU mover job waits for it to accept a data-mover partition.
    body: { site: stage.to, resource: planned.resource!, script, gpus: 1, nodes: 1, timeLimit: Math.min(to.mover.timeLimitMinutes, resource?.maxTimeLimitMinutes ?? to.mover.timeLimitMinutes), name: ids.stageId },
    inputs: [{ site: stage.from, path: atSite(from, sourcePath), version: ref }],
    outputs: [{ site: stage.to, path: destination, version: ref }],
  };
}

async function registrationStageWork(stage: RegistrationStage, planned: PlannedStage, ids: StageRunIds, declared: ReadonlyMap<string, Stage>, registered: Record<string, RegisteredVersion>): Promise<StageWork> {
  const storage = storageAt(planned.site, 'a registration of the outputs there');
  try {
    return await registrationWork(stage, planned, ids.pipelineId, storage, declared, registered[stage.id]);
  } catch (e) {
    if (e instanceof RegistrationNotRunnable) throw new StageNotRunnable(e.code, e.message);
    throw e;
  }
}

/** `registered`: the versions the pipeline's registrations picked (pipeline record `registered`). */
export async function stageWork(stage: Stage, planned: PlannedStage, ids: StageRunIds, declared: ReadonlyMap<string, Stage>, registered: Record<string, RegisteredVersion> = {}): Promise<StageWork> {
  if (stage.kind === 'job') return jobWork(stage, planned, ids, declared, registered);
  if (stage.kind === 'transfer') return transferWork(stage, planned, ids, registered);
  return registrationStageWork(stage, planned, ids, declared, registered);
}
