import { CSV_COLUMNS, CSV_HEADER, CsvParser, CsvSyntaxError, csvCellsToEvent, decodeTextCell, encodeTextCell, eventToCsvRecord } from '../../../lambdas/domain/audit/csv';
import { eventHashMatches, nextEvent, type AuditEvent } from '../../../lambdas/domain/audit/event';
import { NASTY_STRINGS, fields } from './helpers';

/** What a cell holds after RFC 4180 unquoting. */
function unquote(cell: string): string {
  return cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
}

function parseAll(text: string, chunkSizes: number[] = [text.length]): ReturnType<CsvParser['end']> {
  const p = new CsvParser();
  const out = [];
  let pos = 0;
  let i = 0;
  while (pos < text.length) {
    const n = Math.max(1, chunkSizes[i++ % chunkSizes.length]);
    out.push(...p.push(text.slice(pos, pos + n)));
    pos += n;
  }
  out.push(...p.end());
  return out;
}

/** An event with `s` in every free-text field. */
function nastyEvent(s: string, i: number): AuditEvent {
  return nextEvent(null, {
    ...fields('allocation/a-01', i),
    actor: { sub: s || 'sub', role: s || 'role' },
    action: s || 'action',
    subject: { type: s || 'type', id: s || 'id' },
    requestId: s,
    reason: s,
    details: { [s]: s, n: -1, nested: { s } },
  });
}

describe('CSV cell encoding', () => {
  it.each(NASTY_STRINGS.map((s) => [s]))('round-trips %j exactly', (s) => {
    expect(decodeTextCell(unquote(encodeTextCell(s)))).toBe(s);
  });

  it('keeps null (empty cell) and the empty string (a lone apostrophe) apart', () => {
    expect(encodeTextCell(null)).toBe('');
    expect(encodeTextCell('')).toBe("'");
    expect(decodeTextCell('')).toBeNull();
    expect(decodeTextCell("'")).toBe('');
  });

  it.each(['=1+1', '+1', '-1', '@A1', '\tx', '\rx'])('neutralises %j so no spreadsheet evaluates it', (s) => {
    const cell = unquote(encodeTextCell(s));
    expect(cell.startsWith("'")).toBe(true);
    expect(cell.slice(1)).toBe(s);
  });

  it('adds one more apostrophe to a value that starts with one, so stripping exactly one is always right', () => {
    expect(encodeTextCell("'quoted")).toBe("''quoted");
    expect(decodeTextCell("''quoted")).toBe("'quoted");
  });

  it('quotes per RFC 4180 only when needed', () => {
    expect(encodeTextCell('plain text')).toBe('plain text');
    expect(encodeTextCell('a,b')).toBe('"a,b"');
    expect(encodeTextCell('say "hi"')).toBe('"say ""hi"""');
    expect(encodeTextCell('two\nlines')).toBe('"two\nlines"');
    expect(encodeTextCell('=a,"b"')).toBe('"\'=a,""b"""');
  });
});

describe('CSV records', () => {
  it('writes a header with one column per scalar field', () => {
    expect(CSV_HEADER).toBe('v,stream,seq,prevHash,eventId,time,actor.sub,actor.role,action,subject.type,subject.id,requestId,reason,before,after,details,hash\r\n');
  });

  it('rebuilds every event exactly (and so its hash) from its row, for every nasty string in every text field', () => {
    const events = NASTY_STRINGS.map(nastyEvent);
    const text = CSV_HEADER + events.map(eventToCsvRecord).join('');
    const records = parseAll(text);

    expect(records[0].cells).toEqual([...CSV_COLUMNS]);
    const rebuilt = records.slice(1).map((r) => {
      const res = csvCellsToEvent(r.cells);
      if ('problem' in res) throw new Error(`${res.problem.field}: ${res.problem.problem}`);
      return res.event;
    });
    expect(rebuilt).toEqual(events);
    expect(rebuilt.every(eventHashMatches)).toBe(true);
  });

  it('parses the same records whatever the chunking, and counts physical lines across embedded newlines', () => {
    const events = ['a\nb', 'plain', '\r\n', 'x"y\n'].map(nastyEvent);
    const text = CSV_HEADER + events.map(eventToCsvRecord).join('');
    const whole = parseAll(text);
    for (const sizes of [[1], [2, 3], [7], [64, 1, 5]]) expect(parseAll(text, sizes)).toEqual(whole);
    // header on line 1; the value sits raw in 7 text cells (details escape it), so a value with one
    // newline makes its record span 8 lines
    expect(whole.map((r) => r.line)).toEqual([1, 2, 10, 11, 19]);
  });

  it('distinguishes a null reason from an empty one after a round trip', () => {
    const withNull = nextEvent(null, { ...fields('call/c-01', 0), reason: null });
    const withEmpty = nextEvent(null, { ...fields('call/c-01', 0), reason: '' });
    const back = parseAll(eventToCsvRecord(withNull) + eventToCsvRecord(withEmpty)).map((r) => csvCellsToEvent(r.cells));
    expect(back).toEqual([{ event: withNull }, { event: withEmpty }]);
  });

  it('names the cell a spreadsheet un-neutralised, and non-canonical numbers or details', () => {
    const e = nastyEvent('=1+1', 0);
    const cells = parseAll(eventToCsvRecord(e))[0].cells;
    const edit = (i: number, v: string) => csvCellsToEvent(cells.map((c, j) => (j === i ? v : c)));
    expect(edit(12, '=1+1')).toEqual({ problem: expect.objectContaining({ field: 'reason' }) });
    expect(edit(2, '01')).toEqual({ problem: expect.objectContaining({ field: 'seq' }) });
    expect(edit(15, '{"n": -1}')).toEqual({ problem: expect.objectContaining({ field: 'details' }) });
    expect(edit(15, '[1]')).toEqual({ problem: expect.objectContaining({ field: 'details' }) });
    expect(edit(7, '')).toEqual({ problem: expect.objectContaining({ field: 'actor.role' }) });
    expect(csvCellsToEvent(cells.slice(1))).toEqual({ problem: expect.objectContaining({ field: '(row)' }) });
  });

  it('reports malformed CSV with its line', () => {
    expect(() => parseAll('a,"b\r\n')).toThrow(CsvSyntaxError);
    expect(() => parseAll('a,b"c\r\n')).toThrow(/quote inside an unquoted cell/);
    expect(() => parseAll('a,"b"c\r\n')).toThrow(/after a closing quote/);
  });
});
