// Tampering with real exports written by the export writer, in both formats: every change an
// insider might make to the files must make the verifier fail and name the place.
import canonicalize from 'canonicalize';
import { readFileSync, renameSync, unlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAnchor } from '../../../lambdas/domain/audit/anchor';
import { nextEvent, type AuditEvent, type ChainHead } from '../../../lambdas/domain/audit/event';
import { dirSource, fileChunks } from '../../../lambdas/audit/fs-source';
import { manifestDigest, type ExportFormat } from '../../../lambdas/domain/audit/manifest';
import { verifyDataFile, verifyExport, type VerifyProblem, type VerifyReport } from '../../../lambdas/domain/audit/verify';
import { fields, removeDir, rewriteCsv, rewriteJsonl, rewriteManifest, writeSampleExport } from './helpers';

// sampleEvents(): allocation/a-01 seq 1-6, allocation/a-02 seq 1-4, call/c-01 seq 1-5, proposal/p-01 seq 1-3;
// rolled every 7 records: file 1 = a-01 seq 1-6 + a-02 seq 1. Rows of file 1 hold no newline, so in
// CSV record n is on line n + 1 (the header is line 1), in JSONL on line n.

type Edit = (records: string[][] | string[]) => unknown;

function editRecords(format: ExportFormat, path: string, edit: Edit): void {
  if (format === 'jsonl') rewriteJsonl(path, (lines) => edit(lines) as string[]);
  else rewriteCsv(path, (records) => [records[0], ...(edit(records.slice(1)) as string[][])]);
}

/** Changes one field of one record without touching its hash. */
function changeAction(format: ExportFormat, record: string[][] | string[], index: number, action: string): void {
  if (format === 'jsonl') {
    const lines = record as string[];
    const e = JSON.parse(lines[index]) as AuditEvent;
    e.action = action;
    lines[index] = canonicalize(e) as string;
  } else {
    (record as string[][])[index][8] = action;
  }
}

const lineOf = (format: ExportFormat, record: number) => (format === 'jsonl' ? record : record + 1);
const fieldsOf = (r: VerifyReport) => r.problems.map((p) => p.field);

describe.each<ExportFormat>(['jsonl', 'csv'])('tampering with a %s export', (format) => {
  let dir: string;
  let events: AuditEvent[];
  const file1 = `events-00001.${format}`;
  const verify = (opts = {}) => verifyExport(dirSource(dir), opts);

  beforeEach(async () => {
    ({ dir, events } = await writeSampleExport(format));
  });
  afterEach(() => removeDir(dir));

  it('an untouched export verifies with the right counts', async () => {
    const r = await verify();

    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.records).toBe(18);
    expect(r.files.map((f) => f.records)).toEqual([7, 7, 4]);
    expect(r.streams.map((s) => [s.stream, s.firstSeq, s.lastSeq])).toEqual([
      ['allocation/a-01', 1, 6],
      ['allocation/a-02', 1, 4],
      ['call/c-01', 1, 5],
      ['proposal/p-01', 1, 3],
    ]);
    expect(r.exportId).toBe('exp-test-1');
  });

  it('changing one field of one record fails on that record, field hash', async () => {
    editRecords(format, join(dir, file1), (recs) => {
      changeAction(format, recs, 3, 'allocation.approve');
      return recs;
    });

    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toEqual({
      file: file1,
      line: lineOf(format, 4),
      record: 4,
      stream: 'allocation/a-01',
      seq: 4,
      field: 'hash',
      problem: expect.stringMatching(/^content does not match its hash/),
    });
    expect(fieldsOf(r)).toEqual(['hash', 'files[0].sha256', 'files[0].bytes', 'totalBytes']);
  });

  it('changing a record and its hash breaks the next link, field prevHash', async () => {
    editRecords(format, join(dir, file1), (recs) => {
      const e = { ...events[3], action: 'allocation.approve' };
      const forged = nextEvent({ seq: 3, hash: events[2].hash }, { ...fields('allocation/a-01', 3), action: e.action, reason: events[3].reason });
      if (format === 'jsonl') (recs as string[])[3] = canonicalize(forged) as string;
      else {
        const row = (recs as string[][])[3];
        row[8] = forged.action;
        row[16] = forged.hash;
      }
      return recs;
    });

    const r = await verify();
    expect(r.problems[0]).toMatchObject({ file: file1, record: 5, stream: 'allocation/a-01', seq: 5, field: 'prevHash' });
  });

  it('deleting a line fails at the record after it: seq gap, and the counts', async () => {
    editRecords(format, join(dir, file1), (recs) => recs.filter((_, i) => i !== 2));

    const r = await verify();
    expect(r.problems[0]).toMatchObject({ file: file1, line: lineOf(format, 3), record: 3, stream: 'allocation/a-01', seq: 4, field: 'seq' });
    expect(r.problems[0].problem).toContain('seq 3 is missing');
    expect(fieldsOf(r)).toEqual(expect.arrayContaining(['files[0].records', 'files[0].sha256', 'streams[0].records', 'totalRecords']));
  });

  it('deleting the last record of a stream (no gap left) fails on the stream head in the manifest', async () => {
    editRecords(format, join(dir, file1), (recs) => recs.filter((_, i) => i !== 5));

    const r = await verify();
    expect(r.problems[0]).toMatchObject({ file: file1, record: 5, stream: 'allocation/a-01', seq: 5, field: 'streams[0].lastSeq' });
    expect(fieldsOf(r)).toEqual(expect.arrayContaining(['streams[0].lastHash', 'files[0].records']));
  });

  it('swapping two lines of a stream fails at the first of them, field seq', async () => {
    editRecords(format, join(dir, file1), (recs) => [recs[0], recs[2], recs[1], ...recs.slice(3)]);

    const r = await verify();
    expect(r.problems[0]).toMatchObject({ file: file1, line: lineOf(format, 2), record: 2, stream: 'allocation/a-01', seq: 3, field: 'seq' });
    expect(r.problems[1]).toMatchObject({ record: 3, seq: 2, field: 'seq', problem: expect.stringContaining('out of order') });
  });

  it('swapping lines across two streams fails: stream order, and the manifest head of the first', async () => {
    editRecords(format, join(dir, file1), (recs) => [...recs.slice(0, 5), recs[6], recs[5]]);

    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ record: 7, stream: 'allocation/a-01', seq: 6, field: 'stream' }), expect.objectContaining({ record: 5, stream: 'allocation/a-01', field: 'streams[0].lastSeq' })]),
    );
  });

  it.each([
    ['a file record count', 'files[0].records', (m: any) => (m.files[0].records += 1)],
    ['a file hash', 'files[1].sha256', (m: any) => (m.files[1].sha256 = 'a'.repeat(64))],
    ['a file size', 'files[2].bytes', (m: any) => (m.files[2].bytes -= 1)],
    ['a stream head', 'streams[2].lastHash', (m: any) => (m.streams[2].lastHash = 'b'.repeat(64))],
    ['a stream start', 'streams[1].firstSeq', (m: any) => (m.streams[1].firstSeq = 2)],
    ['a stream record count', 'streams[3].records', (m: any) => (m.streams[3].records = 2)],
    ['the total', 'totalRecords', (m: any) => (m.totalRecords = 17)],
  ])('editing %s in the manifest fails naming %s (and manifestHash, unless re-sealed)', async (_what, field, edit) => {
    rewriteManifest(dir, edit);
    const naive = await verify();
    expect(naive.problems[0]).toMatchObject({ file: field === 'totalRecords' ? 'manifest.json' : expect.stringMatching(/^events-0000\d\./), field });
    expect(fieldsOf(naive)[naive.problems.length - 1]).toBe('manifestHash');

    rewriteManifest(dir, (m) => (m.manifestHash = manifestDigest(m as never)));
    const resealed = await verify();
    expect(resealed.ok).toBe(false);
    expect(fieldsOf(resealed)).toEqual([field]);
  });

  it('editing a field the data cannot contradict still fails on manifestHash', async () => {
    rewriteManifest(dir, (m) => (m.exportId = 'exp-other'));
    expect(fieldsOf(await verify())).toEqual(['manifestHash']);
  });

  it('a manifest head (chainHeads) that disagrees with the data fails, even re-sealed', async () => {
    removeDir(dir);
    ({ dir } = await writeSampleExport(format, events, { chainHeads: [{ stream: 'call/c-01', seq: 5, hash: events[14].hash }] }));
    expect((await verify()).ok).toBe(true);
    rewriteManifest(dir, (m) => {
      m.chainHeads[0].hash = 'c'.repeat(64);
      m.manifestHash = manifestDigest(m as never);
    });
    expect((await verify()).problems).toEqual([expect.objectContaining({ stream: 'call/c-01', seq: 5, field: 'chainHeads[0].hash' })]);
  });

  it('a missing manifest fails, and the data is still checked', async () => {
    unlinkSync(join(dir, 'manifest.json'));
    const r = await verify();
    expect(fieldsOf(r)).toEqual(['(manifest)']);
    expect(r.records).toBe(18);
  });

  it('a missing data file, and an extra one, are named', async () => {
    renameSync(join(dir, `events-00003.${format}`), join(dir, `events-00004.${format}`));
    const r = await verify();
    expect(r.problems).toEqual(expect.arrayContaining([expect.objectContaining({ file: `events-00004.${format}`, field: 'files' }), expect.objectContaining({ file: `events-00003.${format}`, field: 'files[2].name' })]));
  });

  it('a forger who rewrites data and manifest together passes the digests but not the anchored heads', async () => {
    const anchor = buildAnchor(
      events.filter((e, i) => i === events.length - 1 || events[i + 1].stream !== e.stream).map((e) => ({ stream: e.stream, seq: e.seq, hash: e.hash })),
      '2026-11-27T11:00:00.000Z',
    );
    expect((await verify({ anchors: [{ name: 'anchor-1100.json', anchor }] })).anchorHeadsChecked).toBe(4);

    // Rewrite allocation/a-02 from seq 2 on, re-chain it, and write a whole new export around it.
    const forged: AuditEvent[] = [];
    let head: ChainHead | null = null;
    for (const e of events) {
      if (e.stream !== 'allocation/a-02' || e.seq === 1) {
        forged.push(e);
        head = e;
        continue;
      }
      const f: AuditEvent = nextEvent(head, { ...fields('allocation/a-02', e.seq - 1), reason: e.seq === 2 ? 'nothing to see here' : e.reason });
      forged.push(f);
      head = f;
    }
    removeDir(dir);
    ({ dir } = await writeSampleExport(format, forged));

    expect((await verify()).ok).toBe(true);
    const r = await verify({ anchors: [{ name: 'anchor-1100.json', anchor }] });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ stream: 'allocation/a-02', seq: 4, field: 'hash', problem: expect.stringContaining('anchor-1100.json') })]);
  });

  it('one data file alone verifies without a manifest, and still catches an edit', async () => {
    const alone = await verifyDataFile(file1, fileChunks(join(dir, file1)));
    expect(alone).toMatchObject({ ok: true, mode: 'file', records: 7 });
    expect(alone.notes.join(' ')).toContain('no manifest');

    editRecords(format, join(dir, file1), (recs) => {
      changeAction(format, recs, 0, 'x.y');
      return recs;
    });
    const r = await verifyDataFile(file1, fileChunks(join(dir, file1)));
    expect(r.problems).toEqual([expect.objectContaining({ record: 1, seq: 1, field: 'hash' })]);
  });

  it("bytes that are not UTF-8 are reported, and the file's digest still compared", async () => {
    const path = join(dir, file1);
    const bytes = readFileSync(path);
    bytes[200] = 0xff;
    writeFileSync(path, bytes);
    const r = await verify();
    expect(r.problems[0]).toMatchObject({ file: file1, field: '(encoding)' });
    expect(fieldsOf(r)).toContain('files[0].sha256');
  });
});

describe('format-specific tampering', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  const problemsOf = async (dir: string): Promise<VerifyProblem[]> => (await verifyExport(dirSource(dir))).problems;

  it('JSONL: a line re-serialised (same content, other spacing or order) is named as not canonical', async () => {
    const { dir } = await writeSampleExport('jsonl');
    dirs.push(dir);
    rewriteJsonl(join(dir, 'events-00001.jsonl'), (lines) => lines.map((l, i) => (i === 1 ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '') : l)));
    expect((await problemsOf(dir))[0]).toMatchObject({ record: 2, field: '(line)', problem: expect.stringContaining('canonical') });
  });

  it('JSONL: a blank line, a line that is not JSON, and a missing final newline are named', async () => {
    const { dir } = await writeSampleExport('jsonl');
    dirs.push(dir);
    const path = join(dir, 'events-00002.jsonl');
    rewriteJsonl(path, (lines) => [lines[0], '', '{"truncated', ...lines.slice(1)]);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n$/, ''));
    const p = await problemsOf(dir);
    expect(p.slice(0, 2)).toEqual([
      expect.objectContaining({ file: 'events-00002.jsonl', line: 2, field: '(line)', problem: 'empty line' }),
      expect.objectContaining({ file: 'events-00002.jsonl', line: 3, field: '(line)', problem: 'is not valid JSON' }),
    ]);
    expect(p).toContainEqual(expect.objectContaining({ file: 'events-00002.jsonl', line: 9, problem: expect.stringContaining('no terminating newline') }));
  });

  it('CSV: a cell a spreadsheet stripped of its protective apostrophe is named', async () => {
    const { dir } = await writeSampleExport('csv');
    dirs.push(dir);
    // allocation/a-01 seq 6 has reason "=1+1", stored as '=1+1
    rewriteCsv(join(dir, 'events-00001.csv'), (recs) => recs.map((r, i) => (i === 6 ? r.map((c, j) => (j === 12 ? c.slice(1) : c)) : r)));
    expect((await problemsOf(dir))[0]).toMatchObject({ line: 7, record: 6, seq: 6, field: 'reason' });
  });

  it('CSV: a renamed or reordered header column stops that file and says why', async () => {
    const { dir } = await writeSampleExport('csv');
    dirs.push(dir);
    rewriteCsv(join(dir, 'events-00002.csv'), (recs) => [recs[0].map((c) => (c === 'reason' ? 'Reason' : c)), ...recs.slice(1)]);
    expect((await problemsOf(dir))[0]).toMatchObject({ file: 'events-00002.csv', line: 1, field: 'header' });
  });

  it("CSV and JSONL exports of the same events agree on every digest but the files'", async () => {
    const a = await writeSampleExport('jsonl');
    const b = await writeSampleExport('csv');
    dirs.push(a.dir, b.dir);
    expect(a.manifest.streams).toEqual(b.manifest.streams);
    copyFileSync(join(a.dir, 'manifest.json'), join(b.dir, 'manifest.json'));
    expect((await problemsOf(b.dir)).length).toBeGreaterThan(0);
  });
});
