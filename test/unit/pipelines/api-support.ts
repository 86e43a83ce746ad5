// The pipelines' API in-process: the real handler on DynamoDB Local tables, the world seeded as its
// owners would leave it (two allocations, a dataset version with a verified copy at kisti6, two
// artifacts to register into), and the local Step Functions service standing in for the deployed
// one, so a create's or a retry's StartExecution is a real call that can be counted.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { apiOf, person } from '../../support/invoke';
import { startLocalSfn, type AslDefinition, type LocalSfn, type LocalSfnTaskHandlers } from '../../../local/sfn';
import { ACCOUNT, REGION } from '../../../local/test/sfn/support';
import { ddb, mainTable } from '../../../lambdas/shared/store/client';
import { allocationItem, memberIndexWrites } from '../../../lambdas/ledger/store';
import { siteAccountItem } from '../../../lambdas/connectors/site-accounts/store';
import { artifactItem, locationItem, versionItem } from '../../../lambdas/datahub/store';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import type { Artifact, Location, Version } from '../../../lambdas/domain/datahub/model';
import { pipelinesApi } from '../../../lambdas/pipelines/api';
import { datahubKeys } from '../../../lambdas/shared/store/keys';

/** The manifest SHA-256 of ds-climate@3.0.0's one file (the flow only writes it into the transfer script). */
export const CLIMATE_SHA256 = 'a07e8d6a2a7fb2b0a1ddb2c5f0c9a48c0cd1c4b6d0a3b6f1bd87b8bb1e5e4c11';

export const OWNER = person('sub-alice', ['researcher']);
export const OTHER = person('sub-bob', ['researcher']);
export const ADMIN = person('sub-admin', ['admin']);
const T0 = '2026-01-01T00:00:00Z';

export interface PipelinesFixture {
  tables: TestTables;
  sfn: LocalSfn;
  machineArn: string;
  stop(): Promise<void>;
}

let machines = 0;

/** `definition`: the state machine started by create and retry (a Pass by default: step 1 of a test needs only the start). */
export async function pipelinesFixture(opts: { definition?: AslDefinition; taskHandlers?: LocalSfnTaskHandlers; timeScale?: number } = {}): Promise<PipelinesFixture> {
  useStageConfig('local');
  process.env.LOG_LEVEL ??= 'error';
  const tables = await createTestTables();
  const machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:pipeline-${process.pid}-${++machines}`;
  const sfn = await startLocalSfn({
    region: REGION,
    accountId: ACCOUNT,
    taskHandlers: opts.taskHandlers ?? {
      invokeLambda: async () => {
        throw new Error('no Lambda in this test');
      },
    },
    ...(opts.timeScale ? { timeScale: opts.timeScale } : {}),
    stateMachines: [{ arn: machineArn, name: machineArn.split(':').pop()!, definition: opts.definition ?? { StartAt: 'Run', States: { Run: { Type: 'Pass', End: true } } } }],
  });
  Object.assign(process.env, { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_SFN: sfn.url, PIPELINE_STATE_MACHINE_ARN: machineArn });
  await seedWorld();
  return {
    tables,
    sfn,
    machineArn,
    async stop() {
      await sfn.stop();
      await tables.drop();
    },
  };
}

const put = (Item: Record<string, unknown>) => ddb().send(new PutCommand({ TableName: mainTable(), Item }));

function allocation(id: string, members: string[], resources: string[], state: Allocation['state'] = 'active'): Allocation {
  return {
    id,
    state,
    title: id,
    piSub: members[0],
    institution: 'KISTI',
    orgType: 'public',
    field: '1.2',
    proposalId: null,
    callId: null,
    tier: null,
    startDate: '2026-01-01',
    endDate: '2027-12-31',
    members: members.map((sub, i) => ({ sub, role: i === 0 ? 'pi' : 'member', addedAt: T0 })),
    resources: Object.fromEntries(resources.map((r) => [r, { awardedMc: 1_000_000_000, balanceMc: 1_000_000_000, usedMc: 0, overLimitMc: 0, exhausted: false }])) as never,
    schedulerAccounts: Object.fromEntries(resources.map((r) => [r, `kairr_${id.replace(/-/g, '_')}`])),
    createdAt: T0,
    updatedAt: T0,
    entryCount: 0,
  };
}

function artifact(id: string, kind: 'dataset' | 'model', stewards: string[]): Artifact {
  return {
    id,
    kind,
    owner: { type: 'person', sub: stewards[0] },
    stewards,
    name: { en: id },
    description: { en: id },
    keywords: [],
    fieldOfScience: '1.2',
    licence: 'CC-BY-4.0',
    accessLevel: 'public',
    aliases: {},
    latestVersion: '3.0.0',
    publishedVersions: kind === 'dataset' ? ['3.0.0'] : [],
    sites: ['kisti6'],
    createdAt: T0,
    createdBy: stewards[0],
    updatedAt: T0,
  };
}

async function seedWorld(): Promise<void> {
  for (const a of [allocation('alloc-spc', [OWNER.sub], ['spc/h200', 'spc/b200']), allocation('alloc-k6', [OWNER.sub], ['kisti6/gh200']), allocation('alloc-bob', [OTHER.sub], ['spc/h200'])]) {
    await put(allocationItem(a));
    for (const w of memberIndexWrites(a, null)) if ('put' in w) await put(w.put);
  }
  // the owner's logins at both sites, as the sites' operators confirmed them
  for (const siteId of ['spc', 'kisti6']) {
    await put(siteAccountItem({ siteId, sub: OWNER.sub, state: 'active', proposedUsername: 'alice', username: 'alice', requestedAt: T0, confirmedAt: T0, updatedAt: T0 }));
  }
  await put(artifactItem(artifact('ds-climate', 'dataset', ['sub-curie'])));
  const v: Version = {
    artifactId: 'ds-climate',
    kind: 'dataset',
    version: '3.0.0',
    state: 'published',
    changelog: '',
    derivedFrom: [],
    files: 1,
    bytes: 4,
    formats: ['text/csv'],
    pages: { '1': { files: 1, bytes: 4, digest: 'seeded' } },
    createdAt: T0,
    createdBy: 'sub-curie',
    publishedAt: T0,
  };
  await put(versionItem(v));
  await put({ ...datahubKeys.manifestFile('ds-climate', '3.0.0', 'data.csv'), path: 'data.csv', bytes: 4, sha256: CLIMATE_SHA256, mediaType: 'text/csv', page: 1 });
  const loc: Location = {
    artifactId: 'ds-climate',
    version: '3.0.0',
    locationId: 'kisti6.scratch',
    kind: 'site',
    siteId: 'kisti6',
    root: 'scratch',
    path: 'catalogue/ds-climate/3.0.0',
    state: 'verified',
    lastVerifiedAt: T0,
    createdAt: T0,
    createdBy: 'sub-curie',
    updatedAt: T0,
  } as Location;
  await put(locationItem(loc));
  await put(artifactItem(artifact('ds-analysis', 'dataset', [OWNER.sub])));
  await put(artifactItem(artifact('model-weather', 'model', [OWNER.sub])));
}

const SCRIPT = '#!/bin/bash\necho work\n';

/** KISTI-6 → SPC with the seeded world's names (ds-climate@3.0.0 is verified at kisti6). */
export function kistiToSpcBody(): Record<string, unknown> {
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
        gpus: 1,
        timeLimit: 30,
        inputs: [{ from: { artifact: 'ds-climate', version: '3.0.0' }, as: 'climate' }],
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
        gpus: 1,
        timeLimit: 30,
        inputs: [{ from: { stage: 'register-data' }, as: 'data' }],
        outputs: [{ name: 'model', path: 'model.pt' }],
      },
      { id: 'register-model', kind: 'registration', artifact: 'model-weather', outputs: [{ stage: 'train', output: 'model' }] },
    ],
  };
}

/** Two job stages, one per site, the second reading nothing of the first: a pipeline of plain jobs. */
export function twoJobsBody(): Record<string, unknown> {
  return {
    name: 'two-jobs',
    stages: [
      { id: 'first', kind: 'job', site: 'kisti6', resource: 'gh200', allocationId: 'alloc-k6', script: SCRIPT, gpus: 1, timeLimit: 30, outputs: [{ name: 'out', path: 'out.txt' }] },
      { id: 'second', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-spc', script: SCRIPT, gpus: 1, timeLimit: 30, after: ['first'] },
    ],
  };
}

export async function api(...args: Parameters<ReturnType<typeof apiOf>>) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require('../../../lambdas/pipelines/handler') as typeof import('../../../lambdas/pipelines/handler');
  return apiOf(pipelinesApi, handler as never)(...args);
}

let keyCounter = 0;
export const newKey = () => `key-${process.pid}-${++keyCounter}-${Date.now()}`;
