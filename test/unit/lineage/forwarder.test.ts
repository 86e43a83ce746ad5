// Forwarding to an OpenLineage backend, against a fake Marquez (test/support/fake-marquez.ts) that
// answers POST /api/v1/lineage as Marquez does: the cycle's events are taken (201) and Marquez's own
// lineage endpoint then connects the KISTI-6 simulation to the SPC model; refusals are named and
// not retried, an unreachable backend is retryable.
import { forwardEvent, forwardEvents } from '../../../lambdas/lineage/forwarder';
import { startFakeMarquez, type FakeMarquez } from '../../support/fake-marquez';
import { cycleEvents } from './support';

let marquez: FakeMarquez;
beforeAll(async () => {
  marquez = await startFakeMarquez();
});
afterAll(async () => marquez?.stop());

describe('forwarding to Marquez', () => {
  test("every event of the cycle is taken, in order, and Marquez's own lineage connects the sites through the copies", async () => {
    const events = cycleEvents();

    const r = await forwardEvents(events, { url: marquez.url });

    expect(r).toEqual({ forwarded: events.length });
    expect(marquez.events).toEqual(events);
    // Marquez keys datasets by the physical copy it was sent (namespace and path), not by version
    const model = 'dataset:file://spc:/scratch/kairr/pipelines/pipe-ks/train/model.pt';
    const res = await fetch(`${marquez.url}/api/v1/lineage?nodeId=${encodeURIComponent(model)}&depth=20`);
    const graph = (await res.json()) as { graph: { id: string }[] };
    const ids = graph.graph.map((n) => n.id);
    expect(res.status).toBe(200);
    expect(ids).toEqual(expect.arrayContaining(['job:slurm://kisti6:pipe-ks.simulate', 'job:slurm://spc:pipe-ks.train', 'job:slurm://kisti6:pipe-sk.analyse']));
  });

  test('an event Marquez refuses is reported, not retryable, with its answer', async () => {
    const bad = structuredClone(cycleEvents()[0]) as unknown as Record<string, unknown>;
    delete bad.producer;

    const r = await forwardEvent(bad as never, { url: marquez.url });

    expect(r).toMatchObject({ ok: false, retryable: false, status: 422 });
    expect(!r.ok && r.error).toContain('producer must not be null');
  });

  test('behind an authenticating proxy: the API key is sent as a bearer token; without it, 401 and not retryable', async () => {
    const guarded = await startFakeMarquez({ requireApiKey: 'k-123' });
    try {
      expect(await forwardEvent(cycleEvents()[0], { url: guarded.url, apiKey: 'k-123' })).toEqual({ ok: true, status: 201 });
      expect(await forwardEvent(cycleEvents()[0], { url: guarded.url })).toMatchObject({ ok: false, retryable: false, status: 401 });
    } finally {
      await guarded.stop();
    }
  });

  test('a backend that is down is retryable, and forwarding stops at the first failure', async () => {
    const gone = await startFakeMarquez();
    const url = gone.url;
    await gone.stop();

    const r = await forwardEvents(cycleEvents().slice(0, 3), { url, timeoutMs: 2_000 });

    expect(r.forwarded).toBe(0);
    expect(r.failure).toMatchObject({ ok: false, retryable: true });
  });
});

describe('the fake answers as Marquez does', () => {
  test.each([
    ['not JSON', { 'content-type': 'application/json' }, '{', 400, { code: 400, message: 'Unable to process JSON' }],
    ['another media type', { 'content-type': 'text/plain' }, '{}', 415, { code: 415, message: 'HTTP 415 Unsupported Media Type' }],
    ['no run and no job', { 'content-type': 'application/json' }, JSON.stringify({ eventTime: '2026-06-01T00:00:00Z', producer: 'https://x' }), 422, { errors: ['run must not be null', 'job must not be null'] }],
    ['an unreadable eventTime', { 'content-type': 'application/json' }, JSON.stringify({ ...cycleEvents()[0], eventTime: 'yesterday' }), 400, { code: 400, message: 'Unable to process JSON' }],
  ])('%s', async (_what, headers, body, status, answer) => {
    const res = await fetch(`${marquez.url}/api/v1/lineage`, { method: 'POST', headers, body });

    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(answer);
  });

  test('a runId that is not a UUID: 400 with no body; unknown fields are ignored', async () => {
    const e = { ...cycleEvents()[0], somethingNew: true };
    const bad = { ...e, run: { runId: 'x' } };

    const refused = await fetch(`${marquez.url}/api/v1/lineage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
    const taken = await fetch(`${marquez.url}/api/v1/lineage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(e) });

    expect([refused.status, await refused.text()]).toEqual([400, '']);
    expect(taken.status).toBe(201);
  });
});
