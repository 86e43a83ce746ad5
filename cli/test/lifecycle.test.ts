// kairr data|model submit | publish | return | deprecate | alias | location | verify against the
// fake data hub (fake-hub.ts + fake-copies.ts): bodies and answers held to the routes' own schemas
// (lambdas/datahub/api.ts, verification-api.ts); the callers are the token (steward, curator).
import { kairr } from './harness';
import { DS, DS2, FakeHub, MODEL } from './fake-hub';
import { FakeCopies } from './fake-copies';

const as = (who: string) => ({ KAIRR_API: 'http://api.test', KAIRR_TOKEN: who });
const REF = `${DS}@1.0.0`;

function setup(kind: 'datasets' | 'models' = 'datasets', id = DS) {
  const hub = new FakeHub(kind, id);
  const copies = new FakeCopies(hub);
  const cli = (who: string, args: string[], tty = false) => kairr(args, { env: as(who), fetch: hub.fetch, tty });
  const last = () => hub.api.calls.at(-1)!;
  return { hub, copies, cli, last };
}

describe('the lifecycle: submit, publish, return, deprecate', () => {
  it('submit (a steward), publish (a curator, with a note); a steward publishing is refused (403)', async () => {
    const { hub, cli, last } = setup();
    const s = await cli('steward', ['data', 'submit', REF]);
    expect(s.code).toBe(0);
    expect(last()).toMatchObject({ method: 'POST', url: `http://api.test/v1/datasets/${DS}/versions/1.0.0/transitions`, body: { action: 'submit' } });
    expect(s.out).toMatch(/state:\s+curation-review/);
    expect(s.out).toContain(`kairr data publish ${REF}`);
    const own = await cli('steward', ['data', 'publish', REF]);
    expect(own.code).toBe(1);
    expect(own.err).toContain('another curator must (forbidden, HTTP 403)');
    const p = await cli('curator', ['data', 'publish', REF, '--note', 'Licence checked']);
    expect(p.code).toBe(0);
    expect(last().body).toEqual({ action: 'publish', note: 'Licence checked' });
    expect(p.out).toMatch(/state:\s+published/);
    expect(p.out).toContain(`kairr data alias set ${REF} production`);
    expect(hub.violations).toEqual([]);
  });

  it('return needs --note (exit 2, no request); from a draft it is the 409 naming the state', async () => {
    const { hub, cli } = setup();
    const none = await cli('curator', ['data', 'return', REF]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("required option '--note <text>' not specified");
    expect(hub.api.calls).toEqual([]);
    const r = await cli('curator', ['data', 'return', REF, '--note', 'Add a README']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('(wrong_state, HTTP 409)');
    expect(r.err).toContain('  state: is draft, not curation-review');
    expect(hub.violations).toEqual([]);
  });

  it('deprecate: --successor ID@MAJOR.MINOR.PATCH and --reason, as the body takes them; a successor that is not a version is exit 2', async () => {
    const { hub, cli, last } = setup();
    hub.state = 'published';
    const bad = await cli('steward', ['data', 'deprecate', REF, '--successor', `${DS2}@latest`, '--reason', 'fixed']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--successor <id@version>' argument");
    expect(hub.api.calls).toEqual([]);
    const r = await cli('steward', ['data', 'deprecate', REF, '--successor', `${DS2}@1.1.0`, '--reason', 'Labels fixed in 1.1.0', '--json']);
    expect(r.code).toBe(0);
    expect(last().body).toEqual({ action: 'deprecate', reason: 'Labels fixed in 1.1.0', successor: { artifactId: DS2, version: '1.1.0' } });
    expect(JSON.parse(r.out)).toMatchObject({ state: 'deprecated', successor: { artifactId: DS2, version: '1.1.0' } });
    expect(hub.violations).toEqual([]);
  });

  it('a ref without @VERSION is a usage error naming it', async () => {
    const { hub, cli } = setup();
    const r = await cli('steward', ['data', 'submit', DS]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`"${DS}" is not ARTIFACT@VERSION`);
    expect(hub.api.calls).toEqual([]);
  });
});

describe('aliases', () => {
  it("alias set: the hub's 422 for an unpublished version; once published, the aliases; alias remove", async () => {
    const { hub, cli, last } = setup('models', MODEL);
    const early = await cli('steward', ['model', 'alias', 'set', `${MODEL}@1.0.0`, 'production']);
    expect(early.code).toBe(1);
    expect(early.err).toContain('  version: is not a published version');
    hub.state = 'published';
    const r = await cli('steward', ['model', 'alias', 'set', `${MODEL}@1.0.0`, 'production']);
    expect(r.code).toBe(0);
    expect(last()).toMatchObject({ method: 'PUT', url: `http://api.test/v1/models/${MODEL}/aliases/production`, body: { version: '1.0.0' } });
    expect(r.out).toMatch(/^production:\s+1\.0\.0\n$/);
    const gone = await cli('steward', ['model', 'alias', 'remove', MODEL, 'production', '--query', 'aliases']);
    expect(gone).toMatchObject({ code: 0, out: '{}\n' });
    expect(last().method).toBe('DELETE');
    expect((await cli('steward', ['model', 'alias', 'set', `${MODEL}@latest`, 'stable'])).code).toBe(2);
    expect(hub.violations).toEqual([]);
  });
});

describe('copies at the sites: location add | list, verify', () => {
  const addCopy = ['data', 'location', 'add', REF, '--site', 'kisti6', '--root', 'scratch', '--path', 'corpora/news/1.0.0'];
  const verify = ['data', 'verify', REF, 'kisti6.scratch', '--alloc', 'alloc-01', '--resource', 'gh200'];

  it('location add: the body the route takes, the copy pending, the verify command next; again, the 409', async () => {
    const { hub, cli, last } = setup();
    const r = await cli('steward', addCopy);
    expect(r.code).toBe(0);
    expect(last().body).toEqual({ siteId: 'kisti6', root: 'scratch', path: 'corpora/news/1.0.0' });
    expect(r.out).toMatch(/kisti6\.scratch\s+site\s+pending\s+\/scratch\/kairr\/corpora\/news\/1\.0\.0/);
    expect(r.out).toContain(`next: kairr data verify ${REF} kisti6.scratch --alloc ALLOC --resource RESOURCE --wait`);
    const again = await cli('steward', addCopy);
    expect(again.code).toBe(1);
    expect(again.err).toContain('HTTP 409');
    const list = await cli('steward', ['data', 'location', 'list', REF, '--query', 'items[].state']);
    expect(JSON.parse(list.out)).toEqual(['pending']);
    expect(hub.violations).toEqual([]);
  });

  it('verify: 202, the verification running, sent with an Idempotency-Key; --time in minutes', async () => {
    const { hub, cli, last } = setup();
    await cli('steward', addCopy);
    const r = await cli('steward', [...verify, '--time', '2h']);
    expect(r.code).toBe(0);
    expect(last()).toMatchObject({ method: 'POST', url: `http://api.test/v1/datasets/${DS}/versions/1.0.0/locations/kisti6.scratch/verify`, body: { allocationId: 'alloc-01', resource: 'gh200', timeLimit: 120 } });
    expect(last().headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.out).toMatch(/state:\s+running/);
    expect(hub.violations).toEqual([]);
  });

  it('verify --wait: follows the verification until the copy is verified (exit 0), its progress only on a terminal', async () => {
    const { hub, copies, cli } = setup();
    await cli('steward', addCopy);
    const r = await cli('steward', [...verify, '--wait', '--poll', '1'], true);
    expect(r.code).toBe(0);
    expect(hub.api.calls.filter((c) => c.method === 'GET' && c.url.includes('/verifications/vfy-'))).toHaveLength(copies.looks);
    expect(r.out).toMatch(/state:\s+verified/);
    expect(r.err).toMatch(/vfy-0+1: running \(job job-0+1\)\nvfy-0+1: verified \(job job-0+1\)\n/);
    expect(copies.locations.get('kisti6.scratch')!.state).toBe('verified');
    const quiet = await cli('steward', [...verify, '--wait']);
    expect(quiet).toMatchObject({ code: 0, err: '' });
    expect(hub.violations).toEqual([]);
  });

  it('verify --wait: a copy that differs ends with exit 1, the file and problem named; --json prints the verification', async () => {
    const { hub, copies, cli } = setup();
    copies.outcome = 'failed';
    await cli('steward', addCopy);
    const r = await cli('steward', [...verify, '--wait']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/state:\s+failed/);
    expect(r.out).toMatch(/reason:\s+data\/big\.bin differs from the manifest \(copy_differs\)/);
    expect(r.out).toMatch(/problems:\s+data\/big\.bin: sha256 differs/);
    const j = await cli('steward', [...verify, '--wait', '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out)).toMatchObject({ state: 'failed', problems: [{ path: 'data/big.bin' }] });
    expect(hub.violations).toEqual([]);
  });

  it("verify: the route's 503 is tried again with the same Idempotency-Key (one verification); three 503s end with exit 1", async () => {
    const { hub, copies, cli } = setup();
    await cli('steward', addCopy);
    copies.unreachable = 2;
    const posts = () => hub.api.calls.filter((c) => c.url.endsWith('/verify'));
    const r = await cli('steward', verify);
    expect(r.code).toBe(0);
    expect(posts()).toHaveLength(3);
    expect(new Set(posts().map((c) => c.headers['idempotency-key'])).size).toBe(1);
    expect(copies.verifications.size).toBe(1);
    copies.unreachable = 3;
    const down = await cli('steward', verify);
    expect(down.code).toBe(1);
    expect(down.err).toContain('retry with the same Idempotency-Key (site_unreachable, HTTP 503)');
    expect(posts()).toHaveLength(6);
    expect(hub.violations).toEqual([]);
  });

  it('verify: a location that is not SITE.ROOT, a missing --resource (exit 2, no request); model verify uses /v1/models', async () => {
    const { hub, cli } = setup();
    expect((await cli('steward', ['data', 'verify', REF, 'kisti6/scratch', '--alloc', 'a', '--resource', 'r'])).err).toContain("is not a copy's location id");
    expect((await cli('steward', ['data', 'verify', REF, 'kisti6.scratch', '--alloc', 'a'])).code).toBe(2);
    expect(hub.api.calls).toEqual([]);
    const m = setup('models', MODEL);
    await m.cli('steward', ['model', 'location', 'add', `${MODEL}@1.0.0`, '--site', 'spc', '--root', 'project', '--path', 'm/1.0.0']);
    const r = await m.cli('steward', ['model', 'verify', `${MODEL}@1.0.0`, 'spc.project', '--alloc', 'a', '--resource', 'h200', '--wait', '--query', 'state']);
    expect(r).toMatchObject({ code: 0, out: 'verified\n' });
    expect(m.hub.api.calls.every((c) => new URL(c.url).pathname.startsWith(`/v1/models/${MODEL}/versions/1.0.0/locations`))).toBe(true);
    expect(m.hub.violations).toEqual([]);
  });
});
