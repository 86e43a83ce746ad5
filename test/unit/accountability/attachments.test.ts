// A report's attachments are files uploaded through the data hub's upload path: the real hub API
// over DynamoDB Local and fauxqs (S3), then the report submitted through the accountability API.
// An attachment is taken only if the upload exists, is the PI's own (or to an artifact they
// steward) and its bytes were verified; the stored report keeps the path, size and SHA-256.
import { api as hub, datahubFixture, DATASET, sha, type Fixture as HubFixture } from '../datahub/support';
import { as, award, fixture, newCall, pi, reportBody, stranger, TWO_TRANCHES, type Fixture } from './support';

let h: HubFixture;
let f: Fixture;
beforeAll(async () => {
  h = await datahubFixture({ s3: true });
  f = await fixture(); // its tables are the live ones from here on: the hub's calls below use them too
});
afterAll(async () => {
  await f?.stop();
  await h?.stop();
});

const pdf = Buffer.from('%PDF-1.7\n% a figure of the scaling curve\n');
const notes = Buffer.from('raw notes, never uploaded\n');

async function uploaded(who: typeof pi, complete: boolean) {
  const d = await hub(who, 'POST', '/v1/datasets', DATASET);
  if (d.status !== 201) throw new Error(d.text);
  const id = d.body.id as string;
  await hub(who, 'POST', `/v1/datasets/${id}/versions`, { version: '1.0.0' });
  const files = [
    { path: 'report/figure-1.pdf', data: pdf },
    { path: 'report/notes.txt', data: notes },
  ];
  const page = await hub(who, 'PUT', `/v1/datasets/${id}/versions/1.0.0/manifest/pages/1`, { files: files.map((x) => ({ path: x.path, bytes: x.data.length, sha256: sha(x.data), mediaType: 'application/octet-stream' })) });
  if (page.status !== 200) throw new Error(page.text);
  const u = await hub(who, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'report/figure-1.pdf', parts: [{ bytes: pdf.length, sha256: sha(pdf) }] });
  if (u.status !== 201) throw new Error(u.text);
  const open = await hub(who, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads`, { path: 'report/notes.txt', parts: [{ bytes: notes.length, sha256: sha(notes) }] });
  if (complete) {
    const p = u.body.parts[0];
    const res = await fetch(p.url, { method: 'PUT', body: Uint8Array.from(pdf), headers: { ...p.headers, 'content-length': String(pdf.length) } });
    if (res.status !== 200) throw new Error(`PUT ${res.status}`);
    const done = await hub(who, 'POST', `/v1/datasets/${id}/versions/1.0.0/uploads/${u.body.uploadId}`, {});
    if (done.body?.state !== 'verified') throw new Error(done.text);
  }
  return { artifactId: id, version: '1.0.0', verified: u.body.uploadId as string, open: open.body.uploadId as string };
}

describe('report attachments from the data hub', () => {
  let allocationId: string;
  let mine: Awaited<ReturnType<typeof uploaded>>;
  let theirs: Awaited<ReturnType<typeof uploaded>>;
  beforeAll(async () => {
    const callId = await newCall(TWO_TRANCHES);
    allocationId = (await award({ callId, credits: { 'spc/h200': 800 }, startDate: '2026-03-01' })).id;
    mine = await uploaded(pi, true);
    theirs = await uploaded(stranger, true);
    f.clock.set('2026-03-20T09:00:00Z'); // month-1 is open, not yet due
  });

  const attach = (a: { artifactId: string; version: string }, uploadId: string) => ({ attachments: [{ artifactId: a.artifactId, version: a.version, uploadId, name: 'figure-1.pdf', pages: 1 }] });
  const submit = (extra: Record<string, unknown>) => as(pi).post(`/v1/allocations/${allocationId}/reports/month-1`, reportBody(extra));

  it('refuses an upload that does not exist, naming the field', async () => {
    const r = await submit(attach(mine, `upl-${'0'.repeat(26)}`));
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'attachment_not_found', details: [{ path: 'attachments[0].uploadId', problem: 'is not an upload of yours in the data hub' }] });
  });

  it("refuses someone else's upload as if it did not exist", async () => {
    const r = await submit(attach(theirs, theirs.verified));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('attachment_not_found');
  });

  it('refuses an upload whose bytes were never completed and checked', async () => {
    const r = await submit(attach(mine, mine.open));
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'attachment_not_verified', details: [{ path: 'attachments[0].uploadId' }] });
  });

  it('refuses a malformed upload id at the edge', async () => {
    const r = await submit(attach(mine, 'file-1'));
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error.details)).toContain('uploadId');
  });

  it('nothing was stored by the refusals: the report is still pending', async () => {
    const r = await as(pi).get(`/v1/allocations/${allocationId}/reports/month-1`);
    expect(r.body).toMatchObject({ status: 'pending', version: 0, versions: [] });
  });

  it('takes the PI’s verified upload and keeps what it held: path, size and SHA-256', async () => {
    const r = await submit(attach(mine, mine.verified));
    expect(r.status).toBe(201);
    const got = await as(pi).get(`/v1/allocations/${allocationId}/reports/month-1`);
    expect(got.body.latest.body.attachments).toEqual([{ artifactId: mine.artifactId, version: '1.0.0', uploadId: mine.verified, name: 'figure-1.pdf', pages: 1, path: 'report/figure-1.pdf', bytes: pdf.length, sha256: sha(pdf) }]);
    expect(got.body.latest.pages).toBe(2); // one page of words plus the attached page
  });
});
