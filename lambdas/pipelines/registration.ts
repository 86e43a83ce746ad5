// Registration stages in the flow (docs/pipelines.md, "Registrations"): the start dispatches the
// registration job at the site where the outputs are (domain/pipelines/registration.ts), under the
// allocation of the job that wrote them; when it ends, Plan reads its manifest through the site's
// report access and registers the version in the data hub through its face, as the owner, with
// the version's copy at the site as a verified location and derivedFrom from the plan.
import { KairrError } from '../domain/errors';
import type { VersionRef as HubVersionRef } from '../domain/datahub/model';
import { VERSION_LABEL } from '../domain/datahub/model';
import type { PhysicalCopy } from '../domain/lineage/events';
import type { PlannedStage } from '../domain/pipelines/plan';
import { nextVersionLabel, parseRegistrationReport, registrationScript, registrationSources } from '../domain/pipelines/registration';
import type { JobStage, RegistrationStage, Stage } from '../domain/pipelines/spec';
import type { StageError } from '../domain/pipelines/state';
import { atSite, catalogueCopyPath, stageWorkPath, type SiteStorage } from '../domain/pipelines/storage';
import { runtimeConfig } from '../shared/config';
import type { AuditContext } from '../shared/store/write-path';
import type { DispatchBody } from '../jobs/index';
import { registerSiteVersion, versionLabels } from '../datahub/index';
import { readSiteReport, ReportUnreachable } from './site-reports';

/** What the pipeline keeps of a registration from its first start: the same version on every retry. */
export interface RegisteredVersion {
  artifact: string;
  version: string;
  changelog?: string;
}

/** The registration job's minutes: hashing and copying job outputs, bounded by the resource's maximum. */
const REGISTRATION_MINUTES = 30;

export const registrationReportPath = (storage: Pick<SiteStorage, 'root'>, pipelineId: string, stageId: string) => atSite(storage, `${stageWorkPath(pipelineId, stageId)}/.kairr/registration.tsv`);

export class RegistrationNotRunnable extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RegistrationWork {
  allocationId: string;
  body: DispatchBody;
  inputs: PhysicalCopy[];
  outputs: PhysicalCopy[];
  registered: RegisteredVersion;
}

/** The version label: kept from an earlier start, the stage's own, or the next after the artifact's. */
async function labelFor(stage: RegistrationStage, kept: RegisteredVersion | undefined): Promise<RegisteredVersion> {
  if (kept) return kept;
  const version = stage.version ?? nextVersionLabel(await versionLabels(stage.artifact));
  if (!VERSION_LABEL.test(version)) throw new RegistrationNotRunnable('version_invalid', `version "${version}" is not MAJOR.MINOR.PATCH, as the catalogue's labels are`);
  return { artifact: stage.artifact, version, ...(stage.changelog ? { changelog: stage.changelog } : {}) };
}

export async function registrationWork(stage: RegistrationStage, planned: PlannedStage, pipelineId: string, storage: SiteStorage, declared: ReadonlyMap<string, Stage>, kept: RegisteredVersion | undefined): Promise<RegistrationWork> {
  const registered = await labelFor(stage, kept);
  const producer = declared.get(stage.outputs[0].stage) as JobStage;
  const sources = registrationSources(stage, declared).map((s) => ({ from: atSite(storage, `${stageWorkPath(pipelineId, s.producer)}/${s.outputPath.replace(/\/+$/, '')}`), as: s.as }));
  const destination = atSite(storage, catalogueCopyPath(registered.artifact, registered.version));
  const resource = runtimeConfig()
    .sites.find((s) => s.id === planned.site)
    ?.resources.find((r) => r.id === producer.resource);
  return {
    // the work is the producer's own, at its site: its allocation and resource run it (with one GPU,
    // the least the dispatch path takes; a 0-GPU data partition waits for the jobs capability)
    allocationId: planned.allocationId ?? producer.allocationId,
    body: {
      site: planned.site,
      resource: planned.resource ?? producer.resource,
      script: registrationScript({ registrationId: `pipeline.${pipelineId}.${stage.id}`, label: `${registered.artifact}@${registered.version}`, sources, destination, reportFile: registrationReportPath(storage, pipelineId, stage.id) }),
      gpus: 1,
      nodes: 1,
      timeLimit: Math.min(REGISTRATION_MINUTES, resource?.maxTimeLimitMinutes ?? REGISTRATION_MINUTES),
      name: stage.id,
    },
    inputs: sources.map((s) => ({ site: planned.site, path: s.from })),
    outputs: [{ site: planned.site, path: destination, version: { artifact: registered.artifact, version: registered.version } }],
    registered,
  };
}

export interface RegistrationEnd {
  ok: boolean;
  error?: StageError;
}

/**
 * After the registration job succeeded: its manifest, read at the site, becomes the version.
 * A refusal (the manifest invalid, the label taken by someone else, the owner no longer a steward)
 * fails the stage naming it; anything else (the store away) is thrown, and the next Plan tries again.
 */
export async function completeRegistration(input: {
  pipelineId: string;
  pipelineName: string;
  stageId: string;
  site: string;
  storage: SiteStorage;
  registered: RegisteredVersion;
  derivedFrom: PlannedStage['derivedFrom'];
  registeredVersions: Record<string, RegisteredVersion>;
  ctx: AuditContext;
}): Promise<RegistrationEnd> {
  const path = registrationReportPath(input.storage, input.pipelineId, input.stageId);
  let text: string;
  try {
    text = await readSiteReport(input.storage, input.site, path);
  } catch (e) {
    if (e instanceof ReportUnreachable) return { ok: false, error: { code: 'report_unreachable', message: e.message } };
    throw e;
  }
  const report = parseRegistrationReport(text);
  if (report.problems.length) return { ok: false, error: { code: 'manifest_invalid', message: `the manifest made at ${input.site} is invalid (${path})`, details: report.problems.slice(0, 50) } };
  const derivedFrom: HubVersionRef[] = (input.derivedFrom ?? []).flatMap((d) => {
    if ('version' in d) return [{ artifactId: d.version.artifact, version: d.version.version }];
    const r = input.registeredVersions[d.registeredBy];
    return r ? [{ artifactId: r.artifact, version: r.version }] : [];
  });
  try {
    await registerSiteVersion(
      {
        artifactId: input.registered.artifact,
        version: input.registered.version,
        registeredBy: `pipeline.${input.pipelineId}.${input.stageId}`,
        changelog: input.registered.changelog ?? `Registered by pipeline ${input.pipelineName} (${input.pipelineId}), stage ${input.stageId}, from its outputs at ${input.site}`,
        derivedFrom,
        files: report.files,
        siteId: input.site,
        path: catalogueCopyPath(input.registered.artifact, input.registered.version),
      },
      input.ctx,
    );
    return { ok: true };
  } catch (e) {
    if (e instanceof KairrError && e.status < 500) return { ok: false, error: { code: e.code, message: e.message, ...(e.details.length ? { details: e.details } : {}) } };
    throw e;
  }
}
