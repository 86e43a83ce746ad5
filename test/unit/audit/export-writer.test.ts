import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nextEvent, serializeEvent, type AuditEvent } from '../../../lambdas/domain/audit/event';
import { CSV_HEADER, eventToCsvRecord } from '../../../lambdas/domain/audit/csv';
import { ExportInputError, createExportWriter, writeExport, type ExportSink } from '../../../lambdas/domain/audit/export-writer';
import { dirSource } from '../../../lambdas/audit/fs-source';
import { manifestDigest } from '../../../lambdas/domain/audit/manifest';
import { verifyExport } from '../../../lambdas/domain/audit/verify';
import { chain, fields, removeDir, sampleEvents, writeSampleExport } from './helpers';

/** An in-memory sink that records how it was called. */
function memorySinks() {
  const files = new Map<string, { chunks: Buffer[]; closed: boolean; aborted: unknown }>();
  let inFlight = 0;
  let maxInFlight = 0;
  const open = (name: string): ExportSink => {
    const f = { chunks: [] as Buffer[], closed: false, aborted: undefined as unknown };
    files.set(name, f);
    return {
      async write(chunk) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((resolve) => setImmediate(resolve));
        f.chunks.push(Buffer.from(chunk));
        inFlight--;
      },
      close() {
        f.closed = true;
      },
      abort(reason) {
        f.aborted = reason;
      },
    };
  };
  return { open, files, text: (name: string) => Buffer.concat(files.get(name)!.chunks).toString('utf8'), maxInFlight: () => maxInFlight };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('createExportWriter / writeExport', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('writes JSONL as one canonical event per line, rolled over by record count, with a manifest that adds up', async () => {
    const { dir, manifest, events } = await writeSampleExport('jsonl');
    dirs.push(dir);

    expect(readdirSync(dir).sort()).toEqual(['events-00001.jsonl', 'events-00002.jsonl', 'events-00003.jsonl', 'manifest.json']);
    const all = manifest.files.map((f) => readFileSync(join(dir, f.name), 'utf8')).join('');
    expect(all).toBe(events.map((e) => serializeEvent(e) + '\n').join(''));
    expect(manifest.files.map((f) => f.records)).toEqual([7, 7, 4]);
    for (const f of manifest.files) {
      const bytes = readFileSync(join(dir, f.name));
      expect(f.sha256).toBe(sha256(bytes));
      expect(f.bytes).toBe(bytes.length);
    }
    expect(manifest.files[0].first).toEqual({ stream: 'allocation/a-01', seq: 1 });
    expect(manifest.files[0].last).toEqual({ stream: 'allocation/a-02', seq: 1 });
    expect(manifest.totalRecords).toBe(18);
    expect(manifest.totalBytes).toBe(manifest.files.reduce((n, f) => n + f.bytes, 0));
    expect(manifest.streams).toEqual([
      { stream: 'allocation/a-01', firstSeq: 1, lastSeq: 6, firstPrevHash: '0'.repeat(64), lastHash: events[5].hash, records: 6 },
      { stream: 'allocation/a-02', firstSeq: 1, lastSeq: 4, firstPrevHash: '0'.repeat(64), lastHash: events[9].hash, records: 4 },
      { stream: 'call/c-01', firstSeq: 1, lastSeq: 5, firstPrevHash: '0'.repeat(64), lastHash: events[14].hash, records: 5 },
      { stream: 'proposal/p-01', firstSeq: 1, lastSeq: 3, firstPrevHash: '0'.repeat(64), lastHash: events[17].hash, records: 3 },
    ]);
    expect(manifest.manifestHash).toBe(manifestDigest(manifest));
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('writes CSV with a header in every file; records exclude the header', async () => {
    const { dir, manifest, events } = await writeSampleExport('csv');
    dirs.push(dir);

    const first = readFileSync(join(dir, 'events-00001.csv'), 'utf8');
    expect(first).toBe(CSV_HEADER + events.slice(0, 7).map(eventToCsvRecord).join(''));
    expect(readFileSync(join(dir, 'events-00002.csv'), 'utf8').startsWith(CSV_HEADER)).toBe(true);
    expect(manifest.files.map((f) => f.records)).toEqual([7, 7, 4]);
    expect(manifest.format).toBe('csv');
  });

  it('rolls over by size: no file passes maxBytes unless one record alone does', async () => {
    const events = sampleEvents();
    const { dir, manifest } = await writeSampleExport('jsonl', events, { rollover: { maxBytes: 2000 } });
    dirs.push(dir);

    expect(manifest.files.length).toBeGreaterThan(3);
    for (const f of manifest.files) expect(f.records === 1 || statSync(join(dir, f.name)).size <= 2000).toBe(true);
    expect(manifest.files.reduce((n, f) => n + f.records, 0)).toBe(events.length);
    expect((await verifyExport(dirSource(dir))).ok).toBe(true);
  });

  it('streams: hands the sink bounded chunks before the last event arrives, and waits for each write', async () => {
    const sinks = memorySinks();
    const writer = createExportWriter({ format: 'jsonl', open: sinks.open, exportId: 'x', chunkBytes: 1024 });
    const events = chain('allocation/a-01', 200);
    for (const e of events.slice(0, 150)) await writer.write(e);

    const early = sinks.files.get('events-00001.jsonl')!.chunks;
    expect(early.length).toBeGreaterThan(10);
    const longest = Math.max(...events.map((e) => Buffer.byteLength(serializeEvent(e)) + 1));
    for (const c of early) expect(c.length).toBeLessThan(1024 + longest);

    for (const e of events.slice(150)) await writer.write(e);
    const manifest = await writer.finish();
    expect(sinks.maxInFlight()).toBe(1);
    expect(sinks.text('events-00001.jsonl')).toBe(events.map((e) => serializeEvent(e) + '\n').join(''));
    expect(sinks.files.get('events-00001.jsonl')!.closed).toBe(true);
    expect(JSON.parse(sinks.text('manifest.json'))).toEqual(manifest);
  });

  it('accepts an async iterable source', async () => {
    const sinks = memorySinks();
    async function* source() {
      for (const e of chain('call/c-01', 3)) yield e;
    }
    const manifest = await writeExport(source(), { format: 'csv', open: sinks.open, exportId: 'x' });
    expect(manifest.totalRecords).toBe(3);
  });

  it('writes an empty export as a manifest with no files, which verifies', async () => {
    const { dir, manifest } = await writeSampleExport('jsonl', []);
    dirs.push(dir);
    expect(manifest.files).toEqual([]);
    expect(manifest.totalRecords).toBe(0);
    expect(readdirSync(dir)).toEqual(['manifest.json']);
    expect((await verifyExport(dirSource(dir))).ok).toBe(true);
  });

  describe('refuses input it cannot export faithfully, naming the record', () => {
    const a = chain('allocation/a-01', 3);
    const b = chain('allocation/a-02', 2);

    async function refusal(events: AuditEvent[], extra: object = {}): Promise<ExportInputError> {
      const sinks = memorySinks();
      const err = await writeExport(events, { format: 'jsonl', open: sinks.open, exportId: 'x', ...extra }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExportInputError);
      for (const f of sinks.files.values()) expect(f.aborted).toBe(err);
      expect(sinks.files.has('manifest.json')).toBe(false);
      return err as ExportInputError;
    }

    it('streams out of order', async () => {
      expect(await refusal([...b, ...a])).toMatchObject({ index: 2, stream: 'allocation/a-01', field: 'stream' });
    });
    it('a stream split into two runs', async () => {
      expect(await refusal([a[0], b[0], a[1]])).toMatchObject({ index: 2, field: 'stream' });
    });
    it('seq going backwards', async () => {
      expect(await refusal([a[0], a[2], a[1]])).toMatchObject({ index: 1, field: 'seq' });
    });
    it('a malformed event', async () => {
      expect(await refusal([{ ...a[0], time: 'now' }])).toMatchObject({ index: 0, field: 'time' });
    });
    it('an event whose content does not match its hash', async () => {
      expect(await refusal([a[0], { ...a[1], reason: 'edited' }])).toMatchObject({ index: 1, seq: 2, field: 'hash' });
    });
    it('an event outside the window [from, to)', async () => {
      expect(await refusal(a, { from: a[0].time, to: a[2].time })).toMatchObject({ index: 2, field: 'time' });
    });
    it('an event beyond the head the caller read', async () => {
      expect(await refusal(a, { chainHeads: [{ stream: 'allocation/a-01', seq: 2, hash: a[1].hash }] })).toMatchObject({ index: 2, field: 'seq' });
    });
    it('an event whose hash differs from the head the caller read', async () => {
      expect(await refusal(a, { chainHeads: { 'allocation/a-01': { seq: 3, hash: 'e'.repeat(64) } } })).toMatchObject({ index: 2, field: 'hash' });
    });
  });

  it("with onBrokenChain: 'export', writes a broken chain as stored and lists the anomalies", async () => {
    const events = chain('allocation/a-01', 4);
    const broken = [events[0], { ...events[1], reason: 'edited' }, events[3]];
    const { dir, manifest } = await writeSampleExport('jsonl', broken, { onBrokenChain: 'export' });
    dirs.push(dir);

    expect(manifest.totalRecords).toBe(3);
    const report = await verifyExport(dirSource(dir));
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.seq, p.field])).toEqual([
      [2, 'hash'],
      [4, 'seq'],
    ]);
  });

  it('records caller-given heads (sorted) and anchors in the manifest', async () => {
    const events = chain('allocation/a-01', 3);
    const heads = { 'zeta/z-1': { seq: 9, hash: 'd'.repeat(64) }, 'allocation/a-01': { seq: 3, hash: events[2].hash } };
    const anchors = [{ key: 'anchors/2026/11/27/1000.json', sha256: 'c'.repeat(64), versionId: 'v1' }];
    const { dir, manifest } = await writeSampleExport('csv', events, { chainHeads: heads, anchors, filters: { streamPrefix: 'allocation/' } });
    dirs.push(dir);

    expect(manifest.chainHeads).toEqual([
      { stream: 'allocation/a-01', seq: 3, hash: events[2].hash },
      { stream: 'zeta/z-1', seq: 9, hash: 'd'.repeat(64) },
    ]);
    expect(manifest.anchors).toEqual(anchors);
    expect(manifest.filters).toEqual({ streamPrefix: 'allocation/' });
    expect((await verifyExport(dirSource(dir))).ok).toBe(true);
  });

  it('refuses to write after a failure or after finish', async () => {
    const sinks = memorySinks();
    const writer = createExportWriter({ format: 'jsonl', open: sinks.open, exportId: 'x' });
    await writer.finish();
    await expect(writer.write(nextEvent(null, fields('a/1', 0)))).rejects.toThrow(/finished/);
  });
});
