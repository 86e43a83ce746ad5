// The export writer's checkHashes option (used by the benchmark to price the per-event hash
// re-check): the same bytes either way for sound events; with it off, an event edited without
// re-hashing is written without being listed, and the offline verifier still names it.
import { nextEvent, writeExport, verifyExport, type AuditEvent, type ChainHead } from '../../../lambdas/domain/audit';
import { memorySource } from './support';

function chain(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  let head: ChainHead | null = null;
  for (let i = 0; i < n; i++) {
    const e = nextEvent(head, {
      stream: 'allocation/a-1',
      eventId: `ev-${i}`,
      time: `2026-01-01T00:00:0${i}.000Z`,
      actor: { sub: 'u', role: 'admin' },
      action: 'x.y',
      subject: { type: 'allocation', id: 'a-1' },
      requestId: 'r',
      reason: i === 1 ? '=1+1, "q"' : null,
      before: null,
      after: null,
      details: i ? { n: i, s: 'é' } : null,
    });
    out.push(e);
    head = e;
  }
  return out;
}

async function write(events: AuditEvent[], format: 'csv' | 'jsonl', checkHashes: boolean) {
  const files = new Map<string, string>();
  const manifest = await writeExport(events, {
    format,
    exportId: 'exp-t',
    createdAt: '2026-01-02T00:00:00.000Z',
    checkHashes,
    onBrokenChain: 'export',
    open: (name) => {
      let text = '';
      return { write: (c: Uint8Array) => void (text += Buffer.from(c).toString('utf8')), close: () => void files.set(name, text) };
    },
  });
  return { files, manifest };
}

describe('createExportWriter checkHashes', () => {
  it.each(['csv', 'jsonl'] as const)('writes the same %s bytes with or without the re-check', async (format) => {
    const events = chain(4);
    const a = await write(events, format, true);
    const b = await write(events, format, false);
    expect([...b.files]).toEqual([...a.files]);
    expect((await verifyExport(memorySource(b.files))).ok).toBe(true);
  });

  it.each(['csv', 'jsonl'] as const)('%s: without the re-check an edited event is not listed, but the verifier names it', async (format) => {
    const events = chain(3);
    events[1] = { ...events[1], reason: 'edited, hash kept' };
    const checked = await write(events, format, true);
    expect(checked.manifest.totalRecords).toBe(3);
    const trusted = await write(events, format, false);
    expect(trusted.files.get(`events-00001.${format}`)).toBe(checked.files.get(`events-00001.${format}`));
    const report = await verifyExport(memorySource(trusted.files));
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ seq: 2, field: 'hash' });
  });

  it('still checks the links without the re-check', async () => {
    const events = chain(3);
    events[2] = { ...events[2], prevHash: 'f'.repeat(64) };
    await expect(writeExport(events, { format: 'jsonl', exportId: 'x', checkHashes: false, open: () => ({ write() {}, close() {} }) })).rejects.toThrow(/prevHash/);
  });
});
