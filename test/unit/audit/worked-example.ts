// The worked example of docs/audit.md, built by the real code. docs.test.ts checks that every value
// the document shows is what this produces; `tsx test/unit/audit/worked-example.ts` prints them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventToCsvRecord, CSV_HEADER } from '../../../lambdas/domain/audit/csv';
import { hashPreimage, nextEvent, serializeEvent, type AuditEvent } from '../../../lambdas/domain/audit/event';
import { writeExport } from '../../../lambdas/domain/audit/export-writer';
import { dirSinks } from '../../../lambdas/audit/fs-source';
import { canonicalJson, digestOf } from '../../../lambdas/domain/audit/jcs';
import type { ExportManifest } from '../../../lambdas/domain/audit/manifest';

export const BEFORE_STATE = { id: 'a-01JDEMO', state: 'pending-provisioning', credits: { 'spc/h200': 5000 } };
export const AFTER_STATE = { id: 'a-01JDEMO', state: 'active', credits: { 'spc/h200': 4987.5 } };

export function exampleEvents(): AuditEvent[] {
  const e1 = nextEvent(null, {
    stream: 'allocation/a-01JDEMO',
    eventId: '01JDEMO00000000000000000001',
    time: '2026-11-27T10:00:00.000Z',
    actor: { sub: 'u-7f3a', role: 'chair' },
    action: 'allocation.create',
    subject: { type: 'allocation', id: 'a-01JDEMO' },
    requestId: 'req-1',
    reason: 'Awarded by the committee, "as requested"',
    before: null,
    after: digestOf(BEFORE_STATE),
    details: { credits: 5000, resource: 'spc/h200' },
  });
  const e2 = nextEvent(
    { seq: e1.seq, hash: e1.hash },
    {
      stream: 'allocation/a-01JDEMO',
      eventId: '01JDEMO00000000000000000002',
      time: '2026-11-27T10:05:00.000Z',
      actor: { sub: 'system', role: 'system' },
      action: 'ledger.usage',
      subject: { type: 'allocation', id: 'a-01JDEMO' },
      requestId: 'req-2',
      reason: null,
      before: digestOf(BEFORE_STATE),
      after: digestOf(AFTER_STATE),
      details: { credits: -12.5, jobId: 'slurm-4711' },
    },
  );
  return [e1, e2];
}

export interface WorkedExample {
  events: AuditEvent[];
  stateText: string;
  stateDigest: string;
  preimage1: string;
  lines: string[];
  csv: string;
  manifest: ExportManifest;
  manifestText: string;
}

export async function workedExample(): Promise<WorkedExample> {
  const events = exampleEvents();
  const dir = mkdtempSync(join(tmpdir(), 'kairr-audit-example-'));
  try {
    const manifest = await writeExport(events, { format: 'jsonl', open: dirSinks(dir), exportId: 'exp-demo', createdAt: '2026-11-27T12:00:00.000Z' });
    return {
      events,
      stateText: canonicalJson(BEFORE_STATE),
      stateDigest: digestOf(BEFORE_STATE),
      preimage1: hashPreimage(events[0]),
      lines: events.map(serializeEvent),
      csv: CSV_HEADER + events.map(eventToCsvRecord).join(''),
      manifest,
      manifestText: readFileSync(join(dir, 'manifest.json'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void workedExample().then((x) => {
    console.log(x.stateText, x.stateDigest);
    console.log('PREIMAGE1', x.preimage1);
    for (const e of x.events) console.log('HASH', e.seq, e.hash);
    console.log('LINES');
    for (const l of x.lines) console.log(l);
    console.log('CSV');
    process.stdout.write(x.csv);
    console.log('MANIFEST');
    process.stdout.write(x.manifestText);
  });
}
