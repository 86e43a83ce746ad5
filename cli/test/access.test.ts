// kairr data request-access | access list|show|withdraw|decide | permits [revoke] against the fake
// data hub (fake-hub.ts + fake-access.ts): every body the CLI sends and every answer the fake gives
// are held to the routes' own schemas (lambdas/datahub/access-api.ts); the callers are the token.
import { APPLICATION_STATES as DOMAIN_STATES, DECISIONS as DOMAIN_DECISIONS, DEFAULT_TERMS_TEXT, termsDigest } from '../../lambdas/domain/datahub/application';
import { APPLICATION_STATES, DECISIONS } from '../src/access-schemas';
import { kairr } from './harness';
import { ALLOC, DS, FakeHub } from './fake-hub';
import { FakeAccess } from './fake-access';

const as = (who: string) => ({ KAIRR_API: 'http://api.test', KAIRR_TOKEN: who });
const apply = ['data', 'request-access', DS, '--alloc', ALLOC, '--site', 'kisti6', '--until', '2027-03-31', '--purpose', 'Fine-tuning a clinical NER model'];

function setup() {
  const hub = new FakeHub('datasets', DS);
  const access = new FakeAccess(hub);
  const cli = (who: string, args: string[]) => kairr(args, { env: as(who), fetch: hub.fetch });
  const posts = () => hub.api.calls.filter((c) => c.method === 'POST');
  return { hub, access, cli, posts };
}

it('names the application states and decisions as the domain does', () => {
  expect(APPLICATION_STATES).toEqual(DOMAIN_STATES);
  expect(DECISIONS).toEqual(DOMAIN_DECISIONS);
});

describe('data request-access', () => {
  it("without --accept-terms: shows the hub's default terms and their SHA-256, sends nothing, exit 2", async () => {
    const { hub, cli, posts } = setup();
    const r = await cli('me', apply);
    expect(r.code).toBe(2);
    expect(r.err).toContain(DEFAULT_TERMS_TEXT);
    expect(r.err).toContain(termsDigest(DEFAULT_TERMS_TEXT));
    expect(r.err).toContain('--accept-terms');
    expect(posts()).toEqual([]);
    expect(hub.violations).toEqual([]);
  });

  it("without --accept-terms: a dataset's own terms, with the digest the application then records", async () => {
    const { hub, access, cli } = setup();
    access.termsText = 'Only for named research. 연구 목적으로만 씁니다.';
    const refused = await cli('me', apply);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(access.termsText);
    const digest = termsDigest(access.termsText);
    expect(refused.err).toContain(digest);
    const r = await cli('me', [...apply, '--accept-terms', '--query', 'terms.digest']);
    expect(r).toMatchObject({ code: 0, out: `${digest}\n` });
    expect(hub.violations).toEqual([]);
  });

  it('sends the body the route takes, with an Idempotency-Key; a date is a whole day (UTC)', async () => {
    const { hub, cli, posts } = setup();
    const r = await cli('me', [...apply, '--from', '2027-01-01', '--versions', '1.0.0', '--users', 'sub-a,sub-b,sub-a', '--accept-terms']);
    expect(hub.violations).toEqual([]);
    expect(r.code).toBe(0);
    expect(posts()[0].body).toEqual({
      purpose: 'Fine-tuning a clinical NER model',
      allocationId: ALLOC,
      siteId: 'kisti6',
      start: '2027-01-01T00:00:00.000Z',
      end: '2027-03-31T23:59:59.999Z',
      acceptTerms: true,
      versions: ['1.0.0'],
      users: ['sub-a', 'sub-b'],
    });
    expect(posts()[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.out).toMatch(/state:\s+submitted/);
    expect(r.out).toMatch(/users:\s+me, sub-a, sub-b/);
    expect(r.out).toContain('kairr data access decide dha-');
  });

  it("prints the hub's 422 naming each field, exit 1; --json prints the error body as it came", async () => {
    const { hub, cli } = setup();
    const bad = ['data', 'request-access', DS, '--alloc', ALLOC, '--site', 'spc', '--until', '2027-03-31', '--users', 'sub-a,stranger', '--purpose', 'x', '--accept-terms'];
    const r = await cli('me', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('(application_invalid, HTTP 422)');
    expect(r.err).toContain('  siteId: holds no verified copy');
    expect(r.err).toContain('  users[1]: is not a member of allocation');
    const j = await cli('me', [...bad, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.err).error.details.map((d: { path: string }) => d.path)).toEqual(['siteId', 'users[1]']);
    expect(hub.violations).toEqual([]);
  });

  it("a public dataset: the hub's 422 not_restricted printed; without --accept-terms, no terms to accept (exit 1)", async () => {
    const { access, cli, posts } = setup();
    access.accessLevel = 'public';
    const r = await cli('me', [...apply, '--accept-terms']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('not_restricted');
    expect(r.err).toContain('  id: is a public dataset');
    const terms = await cli('me', apply);
    expect(terms).toMatchObject({ code: 1, err: `error: ${DS} is public: it needs no access application (kairr data pull ${DS} reads it if you may)\n` });
    expect(posts()).toHaveLength(1);
  });

  it('retries an answer lost at the gateway with the same Idempotency-Key: one application', async () => {
    const { hub, access, cli, posts } = setup();
    access.failNext.push(502);
    const r = await cli('me', [...apply, '--accept-terms', '--query', 'applicationId']);
    expect(r.code).toBe(0);
    expect(posts()).toHaveLength(2);
    expect(posts()[1].headers['idempotency-key']).toBe(posts()[0].headers['idempotency-key']);
    expect(access.applications.size).toBe(1);
    expect(r.out).toBe(`${[...access.applications.keys()][0]}\n`);
    // a second invocation is a second application: its own key
    await cli('me', [...apply, '--accept-terms']);
    expect(posts()[2].headers['idempotency-key']).not.toBe(posts()[0].headers['idempotency-key']);
    expect(access.applications.size).toBe(2);
    expect(hub.violations).toEqual([]);
  });

  it('retries a dropped connection with the same Idempotency-Key; an API that stays unreachable ends with exit 1 after three tries', async () => {
    const { hub, access } = setup();
    const keys: string[] = [];
    let drops = 1;
    const flaky: typeof hub.fetch = async (url, init) => {
      if (init?.method === 'POST') {
        keys.push(init.headers!['idempotency-key']);
        if (drops-- > 0) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
      }
      return hub.fetch(url, init);
    };
    const r = await kairr([...apply, '--accept-terms'], { env: as('me'), fetch: flaky });
    expect(r.code).toBe(0);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(access.applications.size).toBe(1);
    drops = 3;
    const down = await kairr([...apply, '--accept-terms'], { env: as('me'), fetch: flaky });
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot reach the API at http://api.test (ECONNRESET)');
    expect(keys).toHaveLength(5);
  });

  it('does not retry a 503 (the application is in error: apply again), and prints it', async () => {
    const { access, cli, posts } = setup();
    access.failNext.push(503);
    const r = await cli('me', [...apply, '--accept-terms']);
    expect(r.code).toBe(1);
    expect(posts()).toHaveLength(1);
    expect(r.err).toContain('apply again (unavailable, HTTP 503)');
  });

  it.each([
    ['a date that is not one', ['--until', '2027-02-30'], "option '--until <date>' argument '2027-02-30' is invalid"],
    ['an instant without its zone', ['--until', '2027-03-31T18:00'], '--until <date>'],
    ['a version that is not MAJOR.MINOR.PATCH', ['--until', '2027-03-31', '--versions', '1.0'], "'--versions <v,...>' argument '1.0' is invalid"],
  ])('usage errors before any request: %s (exit 2)', async (_what, flags, message) => {
    const { hub, cli } = setup();
    const r = await cli('me', ['data', 'request-access', DS, '--alloc', ALLOC, '--site', 'kisti6', '--purpose', 'x', '--accept-terms', ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(hub.api.calls).toEqual([]);
  });

  it('usage errors before any request: a dataset id that is not one, a missing --purpose (exit 2)', async () => {
    const { hub, cli } = setup();
    const notDs = await cli('me', ['data', 'request-access', `${DS}@1.0.0`, '--alloc', ALLOC, '--site', 'kisti6', '--until', '2027-03-31', '--purpose', 'x']);
    expect(notDs.code).toBe(2);
    expect(notDs.err).toContain('is not a dataset id');
    const noPurpose = await cli('me', ['data', 'request-access', DS, '--alloc', ALLOC, '--site', 'kisti6', '--until', '2027-03-31', '--accept-terms']);
    expect(noPurpose.code).toBe(2);
    expect(noPurpose.err).toContain("required option '--purpose <text>' not specified");
    expect(hub.api.calls).toEqual([]);
  });
});

describe('data access and data permits', () => {
  async function applied() {
    const s = setup();
    const r = await s.cli('me', [...apply, '--accept-terms', '--query', 'applicationId']);
    expect(r.code).toBe(0);
    return { ...s, app: r.out.trim() };
  }

  it("list: yours without --dataset; a dataset's queue by state with it (the committee's; 403 for others)", async () => {
    const { hub, cli, app } = await applied();
    const mine = await cli('me', ['data', 'access', 'list']);
    expect(mine.code).toBe(0);
    expect(mine.out).toMatch(/^APPLICATION\s+DATASET\s+STATE\s+APPLICANT\s+SITE\s+UNTIL\s+CREATED\n/);
    expect(mine.out).toContain(`${app}  ${DS}  submitted  me`);
    const queue = await cli('chair', ['data', 'access', 'list', '--dataset', DS, '--state', 'submitted', '--query', 'items[].applicationId']);
    expect(JSON.parse(queue.out)).toEqual([app]);
    const url = new URL(hub.api.calls.at(-1)!.url);
    expect([url.pathname, url.searchParams.get('state')]).toEqual([`/v1/datasets/${DS}/access-applications`, 'submitted']);
    const refused = await cli('me', ['data', 'access', 'list', '--dataset', DS]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('(forbidden, HTTP 403)');
    expect(hub.violations).toEqual([]);
  });

  it('list --state without --dataset is a usage error (your own list has no state filter)', async () => {
    const { hub, cli } = setup();
    const r = await cli('me', ['data', 'access', 'list', '--state', 'approved']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--dataset');
    expect(hub.api.calls).toEqual([]);
    expect((await cli('me', ['data', 'access', 'list', '--dataset', DS, '--state', 'lost'])).code).toBe(2);
  });

  it('decide approve: the committee grants a permit; the applicant sees it; a second decision is a 409', async () => {
    const { hub, access, cli, app } = await applied();
    const own = await cli('me', ['data', 'access', 'decide', app, 'approve', '--comment', 'Mine is fine']);
    expect(own.code).toBe(1);
    expect(own.err).toContain('HTTP 403');
    const r = await cli('chair', ['data', 'access', 'decide', app, 'approve', '--comment', 'Purpose and site fit the terms']);
    expect(r.code).toBe(0);
    expect(hub.api.calls.at(-1)!.body).toEqual({ decision: 'approve', comment: 'Purpose and site fit the terms' });
    expect(r.out).toMatch(/state:\s+approved/);
    const permitId = [...access.permits.keys()][0];
    expect(r.out).toMatch(new RegExp(`permit:\\s+${permitId}`));
    expect(r.out).toContain('approve by chair at');
    const mine = await cli('me', ['data', 'permits']);
    expect(mine.out).toMatch(/^PERMIT\s+DATASETS\s+VERSIONS\s+SITES\s+USERS\s+FROM\s+UNTIL\s+STATE\n/);
    expect(mine.out).toContain(`${permitId}  ${DS}  all       kisti6`);
    expect(mine.out).toMatch(/2027-03-31\s+active\n$/);
    const again = await cli('chair', ['data', 'access', 'decide', app, 'reject', '--comment', 'Changed my mind']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('The application is approved (conflict, HTTP 409)');
    expect(hub.violations).toEqual([]);
  });

  it('decide return, then the applicant withdraws it; show prints the decisions; withdraw again is a 409', async () => {
    const { hub, cli, app } = await applied();
    const returned = await cli('chair', ['data', 'access', 'decide', app, 'return', '--comment', 'Name every user']);
    expect(returned.out).toMatch(/state:\s+returned/);
    expect(returned.out).toContain(`apply again: kairr data request-access ${DS}`);
    const w = await cli('me', ['data', 'access', 'withdraw', app]);
    expect(w.code).toBe(0);
    expect(hub.api.calls.at(-1)).toMatchObject({ method: 'POST', body: undefined });
    expect(w.out).toMatch(/state:\s+closed/);
    const shown = await cli('me', ['data', 'access', 'show', app]);
    expect(shown.out).toMatch(/decisions:\s+return by chair at .*: Name every user/);
    expect(shown.out).toMatch(/closed:\s+withdrawn by the applicant/);
    const again = await cli('me', ['data', 'access', 'withdraw', app, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.err).error.code).toBe('conflict');
    expect(hub.violations).toEqual([]);
  });

  it('decide: a decision that is not one, a missing --comment, an id that is not an application (exit 2, no request)', async () => {
    const { hub, cli } = setup();
    const app = `dha-${'0'.repeat(26)}`;
    for (const args of [
      [app, 'maybe', '--comment', 'x'],
      [app, 'approve'],
      ['prop-123', 'approve', '--comment', 'x'],
    ])
      expect((await cli('chair', ['data', 'access', 'decide', ...args])).code).toBe(2);
    expect((await cli('me', ['data', 'access', 'show', 'dha-nope'])).err).toContain('is not an access application id');
    expect(hub.api.calls).toEqual([]);
  });

  it("permits revoke: the committee's, with the reason; refused to the holder (403); --dataset lists the dataset's", async () => {
    const { hub, access, cli, app } = await applied();
    await cli('chair', ['data', 'access', 'decide', app, 'approve', '--comment', 'ok']);
    const permitId = [...access.permits.keys()][0];
    const holder = await cli('me', ['data', 'permits', 'revoke', permitId, '--reason', 'I want to']);
    expect(holder.code).toBe(1);
    expect(holder.err).toContain('HTTP 403');
    const r = await cli('chair', ['data', 'permits', 'revoke', permitId, '--reason', 'Shared outside the named users']);
    expect(r.code).toBe(0);
    expect(hub.api.calls.at(-1)!.body).toEqual({ reason: 'Shared outside the named users' });
    expect(r.out).toMatch(/state:\s+revoked/);
    expect(r.out).toMatch(/revoked:\s+.*: Shared outside the named users/);
    const listed = await cli('chair', ['data', 'permits', '--dataset', DS, '--query', 'items[].[id, state]']);
    expect(JSON.parse(listed.out)).toEqual([[permitId, 'revoked']]);
    expect(new URL(hub.api.calls.at(-1)!.url).searchParams.get('datasetId')).toBe(DS);
    expect((await cli('chair', ['data', 'permits', 'revoke', 'dhp-x', '--reason', 'r'])).code).toBe(2);
    expect(hub.violations).toEqual([]);
  });

  it('data permits --help shows an example of itself; a bad flag is a usage error', async () => {
    const help = await kairr(['data', 'permits', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Examples:\n\s+kairr data permits\n/);
    expect(help.out).toContain('revoke');
    const { hub, cli } = setup();
    const bad = await cli('me', ['data', 'permits', '--no-such-flag']);
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining("unknown option '--no-such-flag'") });
    expect(hub.api.calls).toEqual([]);
  });
});
