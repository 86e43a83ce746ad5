// The kairr command line, installed from its packed tarball, against the local runtime and the local
// Slurm clusters: login through the dev issuer's device authorization grant, sites and --json held
// to the API's own schemas, a proposal's create → show round-trip, allocations and the burn-down,
// and jobs submitted with --wait to each site, whose exit code comes back as the CLI's.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { as, describeLocal, settle, target } from './support/client';
import { callBody, createCall, devClient, runId, suiteTarget } from './approval-support';
import { SiteView } from '../../lambdas/platform/api';
import { AllocationView } from '../../lambdas/ledger/api';
import { JobView } from '../../lambdas/jobs/api';
import { ProposalView } from '../../lambdas/approval/api';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { loadClusters, sacctmgrAssocs, waitFor, type LocalCluster } from '../slurm/support/clusters';
import { siteAccountScript } from '../slurm/support/kairr';
import { packAndInstall, runKairr, type Installed } from './cli-support';

jest.setTimeout(10 * 60_000);

const NEEDS_LOCAL = 'runs jobs on the local Slurm clusters (site logins made there)';
const clusters: Record<string, LocalCluster> = target().local ? Object.fromEntries(loadClusters().map((c) => [c.siteId, c])) : {};
const sub = `e2e-cli-${runId}`;
// a login of this run's own on both clusters (the site's side: scripts/slurm/site-account.sh)
const login = `kcli${runId}`;
const created: LocalCluster[] = [];
let cli: Installed;
const kairr = (args: string[], opts: { stdin?: string; onErr?: (s: string) => void } = {}) => runKairr(cli, args, opts);
const script = (body: string) => {
  const f = join(cli.home, `job-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(f, `#!/bin/bash\n${body}\n`);
  return f;
};

/** Answers the device login prompt at the dev issuer's verification page, as this run's researcher. */
function approveAs(claims: { sub: string; groups: string }) {
  let sent = false;
  return (err: string) => {
    const m = /open (\S+\/device) and enter the code ([A-Z]{4}-[A-Z]{4})/.exec(err);
    if (!m || sent) return;
    sent = true;
    void fetch(m[1], { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user_code: m[2], action: 'approve', ...claims }).toString() });
  };
}

beforeAll(() => {
  cli = packAndInstall();
});

afterAll(() => {
  for (const c of created) {
    try {
      siteAccountScript('delete', c, login);
    } catch {
      /* a job of it may still be finishing */
    }
  }
});

// Against any target with a dev issuer (the local runtime, or KAIRR_API_URL with a token mint).
describe('kairr, installed from its tarball', () => {
  it('logs in with --local through the device grant; whoami is the approved identity', async () => {
    // --local reads the runtime's state file for the API and the issuer; this one names the target's
    const state = join(cli.home, 'local.json');
    const t = target();
    if (!t.tokenMintUrl) throw new Error('this suite logs in through a dev issuer; the target has none (KAIRR_TOKEN_MINT_URL)');
    writeFileSync(state, JSON.stringify({ apiUrl: t.apiUrl, tokenMintUrl: t.tokenMintUrl }));
    const r = await kairr(['auth', 'login', '--local', '--local-state', state], { onErr: approveAs({ sub, groups: 'researcher' }) });
    expect(r.err).toMatch(/To log in, open http:\/\/127\.0\.0\.1:\d+\/device and enter the code/);
    expect(r.code).toBe(0);
    const who = await kairr(['whoami', '--json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.out)).toMatchObject({ sub, roles: ['researcher'] });
  });

  it('sites list --json is the API answer, valid against its schema; the table names every resource', async () => {
    const json = await kairr(['sites', 'list', '--json']);
    const body = z.object({ items: z.array(SiteView) }).parse(JSON.parse(json.out));
    const table = await kairr(['sites', 'list']);
    expect(table.code).toBe(0);
    for (const r of body.items.flatMap((s) => s.resources.map((x) => [s.id, x.id]))) expect(table.out).toMatch(new RegExp(`^${r[0]}\\s+${r[1]}\\s`, 'm'));
    const keys = await kairr(['sites', 'show', 'kisti6', '--query', 'resources[].key']);
    expect(JSON.parse(keys.out)).toEqual(body.items.find((s) => s.id === 'kisti6')!.resources.map((x) => x.key));
  });

  it('recommend ranks the resources; a bad profile field is the API 400 naming it, exit 1', async () => {
    const ok = await kairr(['recommend', '--workload', 'fine-tuning', '--parameters', '7e9', '--training-tokens', '2e9', '--precision', 'bf16', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).ranked.length).toBeGreaterThan(0);
    const bad = await kairr(['recommend', '--workload', 'fine-tuning', '--parameters', '-5', '--training-tokens', '2e9', '--precision', 'bf16']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/\(validation_failed, HTTP 400\)\n\s+parameters: /);
  });

  it('proposal create -f → show round-trips the draft; list has it; submitting it incomplete is refused naming the fields', async () => {
    const call = await createCall(devClient(suiteTarget(), 'admin'), callBody([{ sub: 'dev-reviewer', institution: 'SNU' }]));
    const file = join(cli.home, 'proposal.yaml');
    writeFileSync(
      file,
      [
        `callId: ${call.id}`,
        'title: CLI round trip',
        'abstract: We fine-tune a 7B Korean model on public-sector documents and release the adapters openly.',
        'field: computer-science',
        `pi: { name: Kim Ji-woo, email: jiwoo-${runId}@kaist.example, institution: KAIST, orgType: university }`,
        'credits: { kisti6/gh200: 40 }',
        'durationMonths: 3',
      ].join('\n'),
    );
    const made = await kairr(['proposal', 'create', '-f', file, '--json']);
    expect(made.code).toBe(0);
    const draft = ProposalView.parse(JSON.parse(made.out));
    expect(draft).toMatchObject({ callId: call.id, title: 'CLI round trip', state: 'draft', credits: { 'kisti6/gh200': 40 } });
    const shown = await kairr(['proposal', 'show', draft.id, '--json']);
    expect(JSON.parse(shown.out)).toEqual(JSON.parse(made.out));
    expect((await kairr(['proposal', 'list', '--query', 'items[].id'])).out).toContain(draft.id);
    const human = await kairr(['proposal', 'show', draft.id]);
    expect(human.out).toMatch(new RegExp(`^id:\\s+${draft.id}$[\\s\\S]*^state:\\s+draft$`, 'm'));
    // incomplete (no team, workload, justification): the API refuses the submit and names what is missing
    const submit = await kairr(['proposal', 'submit', draft.id]);
    expect(submit.code).toBe(1);
    expect(submit.err).toMatch(/HTTP 4\d\d\)\n\s+\S+: /);
  });

  describeLocal('with an allocation at both sites', NEEDS_LOCAL, () => {
    let allocationId: string;

    beforeAll(async () => {
      for (const c of Object.values(clusters)) {
        siteAccountScript('create', c, login);
        created.push(c);
        const r = await as('site-operator').put(`/v1/sites/${c.siteId}/accounts/${sub}`, { username: login });
        if (r.status !== 200) throw new Error(`confirming ${login} at ${c.siteId}: ${r.status} ${JSON.stringify(r.body)}`);
      }
      const res = await as('admin').post('/v1/allocations', {
        title: 'CLI e2e',
        piSub: sub,
        institution: 'KISTI',
        orgType: 'research-institute',
        field: 'computer-science',
        startDate: new Date().toISOString().slice(0, 10),
        endDate: '2099-12-31',
        credits: { 'spc/b200': 9, 'kisti6/gh200': 8 },
        reason: 'e2e: the CLI',
      });
      if (res.status !== 201) throw new Error(`creating the allocation: ${res.status} ${JSON.stringify(res.body)}`);
      allocationId = res.body.id;
      await waitFor(
        'the allocation to be provisioned with the login',
        async () => {
          await settle(60_000);
          return (await as('admin').get(`/v1/allocations/${allocationId}`)).body;
        },
        (a) => a.state !== 'pending-provisioning' && sacctmgrAssocs(clusters.kisti6, slurmAccountName(allocationId, 'gh200')).some((x) => x.user === login),
        { timeoutMs: 180_000, intervalMs: 1_000 },
      );
    });

    it('alloc list and show: the allocation, its balances, valid against the API schema', async () => {
      const ids = await kairr(['alloc', 'list', '--query', 'items[].id']);
      expect(JSON.parse(ids.out)).toEqual([allocationId]);
      const shown = AllocationView.parse(JSON.parse((await kairr(['alloc', 'show', allocationId, '--json'])).out));
      expect(shown).toMatchObject({ id: allocationId, state: 'active', piSub: sub });
      const human = await kairr(['alloc', 'show', allocationId]);
      expect(human.out).toMatch(/^kisti6\/gh200\s+8\s+0\s+8\s/m);
    });

    it.each([
      ['kisti6', 'gh200', 'exit 3', 3],
      ['spc', 'b200', 'echo "ran as $(id -un)"', 0],
    ])('job submit --wait at %s/%s exits with the job exit code', async (site, resource, body, code) => {
      const r = await kairr(['job', 'submit', script(body as string), '--alloc', allocationId, '--site', site as string, '--resource', resource as string, '--gpus', '1', '--time', '2m', '--wait', '--poll', '1', '--json']);
      expect(r.err).toBe(''); // progress only on a terminal
      expect(r.code).toBe(code);
      const job = JobView.parse(JSON.parse(r.out));
      expect(job).toMatchObject({ state: 'finished', exitCode: code, user: login, site });
      const listed = await kairr(['job', 'list', '--alloc', allocationId, '--query', `items[?jobId=='${job.jobId}'] | [0].state`]);
      expect(listed.out).toBe('finished\n');
    });

    it('a job the resource cannot take is the API refusal with its field, exit 1; a bad flag is exit 2', async () => {
      const tooMany = await kairr(['job', 'submit', script('true'), '--alloc', allocationId, '--site', 'kisti6', '--resource', 'gh200', '--gpus', '64', '--time', '2m']);
      expect(tooMany.code).toBe(1);
      expect(tooMany.err).toMatch(/HTTP 4\d\d\)\n\s+gpus: /);
      const badFlag = await kairr(['job', 'submit', script('true'), '--alloc', allocationId, '--site', 'kisti6', '--resource', 'gh200', '--gpus', '1', '--tme', '2m']);
      expect(badFlag.code).toBe(2);
      expect(badFlag.err).toMatch(/unknown option '--tme'/);
    });

    it('alloc usage draws a burn-down per resource', async () => {
      const r = await kairr(['alloc', 'usage', allocationId]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^kisti6\/gh200: balance [\d.]+ credits, burning [\d.]+ a day/m);
      expect(r.out).toMatch(/│/);
    });
  });
});
