import { PassThrough, Writable } from 'node:stream';
import { parseString } from 'fast-csv';
import type { AuditEvent } from '../../event/audit-event.interface';
import { EXPORT_CSV_COLUMNS, eventToCsvRow, neutralizeCsvCell, writeEventsCsv } from './export-csv';

const describeAction = (action: string) => ({
  displayName: action === 'group_created' ? 'Group created' : `Action ${action}`,
  categoryDisplayName: 'Groups',
});

function makeEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: '01JD7ZZZZZZZZZZZZZZZZZZZZZ',
    orgId: 'acme',
    seq: 1,
    time: '2026-11-25T17:04:05.123Z',
    action: 'group_created',
    category: 'groups',
    actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
    targets: [
      { id: 'u-9', type: 'user', name: 'Bob Li', email: 'bob@acme.test' },
      { id: 'g-1', type: 'group', name: 'jira-admins' },
    ],
    site: { id: 's-1', name: 'acme.atlassian.test' },
    product: 'jira',
    location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    outcome: 'success',
    metadata: {},
    ...overrides,
  };
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) {
    yield item;
  }
}

async function writeToString(
  events: AuditEvent[] | AsyncIterable<AuditEvent>,
  maxRows?: number,
): Promise<{
  text: string;
  rowCount: number;
  truncated: boolean;
  seqRange: { first: number; last: number } | null;
}> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const source = Array.isArray(events) ? fromArray(events) : events;
  const result = await writeEventsCsv(source, out, describeAction, { maxRows });
  return { ...result, text: Buffer.concat(chunks).toString('utf8') };
}

function parseCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const rows: string[][] = [];
    parseString<string[], string[]>(text, { headers: false })
      .on('data', (row: string[]) => rows.push(row))
      .on('error', reject)
      .on('end', () => resolve(rows));
  });
}

describe('neutralizeCsvCell', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ['+1+1', `'+1+1`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tleading tab', `'\tleading tab`],
    ['\rcr', `'\rcr`],
    ['\nlf', `'\nlf`],
  ])('prefixes %j with a quote', (input, expected) => {
    expect(neutralizeCsvCell(input)).toBe(expected);
  });

  it.each(['a";=1+2', '', 'Jane Doe', '1-2', "'quoted", ' =leading space', '😀 emoji', 'a\tb'])(
    'keeps %j exactly',
    (input) => {
      expect(neutralizeCsvCell(input)).toBe(input);
    },
  );
});

describe('eventToCsvRow', () => {
  it('lays an event out in the column order', () => {
    expect(eventToCsvRow(makeEvent(), describeAction)).toEqual([
      '2026-11-25T17:04:05.123Z',
      'Jane Doe',
      'jane@acme.test',
      'Group created',
      'group_created',
      'Groups',
      'Bob Li <bob@acme.test>; jira-admins',
      'acme.atlassian.test',
      'jira',
      '203.0.113.7',
      'success',
      '01JD7ZZZZZZZZZZZZZZZZZZZZZ',
    ]);
  });

  it('falls back to ids and leaves absent values empty', () => {
    const row = eventToCsvRow(
      makeEvent({
        actor: { id: 'svc-1', type: 'system' },
        targets: [
          { id: 't-1', type: 'policy' },
          { id: 't-2', type: 'user', email: 'x@acme.test' },
        ],
        site: { id: 's-9' },
        product: null,
        location: {},
        outcome: 'failure',
      }),
      describeAction,
    );
    expect(row.slice(1, 3)).toEqual(['svc-1', '']);
    expect(row[6]).toBe('t-1; x@acme.test');
    expect(row.slice(7, 11)).toEqual(['s-9', '', '', 'failure']);
    expect(eventToCsvRow(makeEvent({ site: null, targets: [] }), describeAction)[7]).toBe('');
  });

  it('writes the date as ISO 8601 UTC', () => {
    const row = eventToCsvRow(makeEvent({ time: '2026-11-25T18:04:05.123+01:00' }), describeAction);
    expect(row[0]).toBe('2026-11-25T17:04:05.123Z');
  });

  it('neutralises formula cells', () => {
    const row = eventToCsvRow(
      makeEvent({ actor: { id: 'u-1', type: 'user', name: '=1+1', email: '@x' } }),
      describeAction,
    );
    expect(row.slice(1, 3)).toEqual(["'=1+1", "'@x"]);
  });
});

describe('writeEventsCsv', () => {
  it('writes the header row alone for no events', async () => {
    const { text, rowCount, truncated } = await writeToString([]);
    expect(text).toBe(`${EXPORT_CSV_COLUMNS.join(',')}\r\n`);
    expect({ rowCount, truncated }).toEqual({ rowCount: 0, truncated: false });
    expect(await parseCsv(text)).toEqual([[...EXPORT_CSV_COLUMNS]]);
  });

  it('round-trips hostile and unusual text through an RFC 4180 parser', async () => {
    const names = [
      'Doe, Jane',
      'Jane "JD" Doe',
      'line\r\nbreak',
      'lone\nlf',
      'Zoë 😀 ✓',
      '=HYPERLINK("http://x","y")',
      '+1+1',
      '-2+3',
      '@SUM(A1)',
      '\tleading tab',
      'a";=1+2',
      'pipe | char',
    ];
    const events = names.map((name, i) =>
      makeEvent({ id: `evt-${i}`, actor: { id: `u-${i}`, type: 'user', name } }),
    );
    const { text, rowCount } = await writeToString(events);
    expect(rowCount).toBe(names.length);
    expect(text.endsWith('\r\n')).toBe(true);
    // Outside quoted cells, every line break is a CRLF.
    expect(text.replace(/"(?:[^"]|"")*"/g, '')).not.toMatch(/[^\r]\n|\r(?!\n)/);
    expect(text).toContain('"Jane ""JD"" Doe"');
    expect(text).toContain('"Doe, Jane"');

    const rows = await parseCsv(text);
    expect(rows[0]).toEqual([...EXPORT_CSV_COLUMNS]);
    expect(rows).toHaveLength(names.length + 1);
    expect(rows.slice(1).map((row) => row[1])).toEqual([
      'Doe, Jane',
      'Jane "JD" Doe',
      'line\r\nbreak',
      'lone\nlf',
      'Zoë 😀 ✓',
      `'=HYPERLINK("http://x","y")`,
      "'+1+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\tleading tab",
      'a";=1+2',
      'pipe | char',
    ]);
    expect(rows.slice(1).map((row) => row[11])).toEqual(names.map((_, i) => `evt-${i}`));
    expect(rows[1][6]).toBe('Bob Li <bob@acme.test>; jira-admins');
  });

  it('writes UTF-8 bytes without a BOM', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await writeEventsCsv(
      fromArray([makeEvent({ actor: { id: 'u', type: 'user', name: 'é😀' } })]),
      out,
      describeAction,
    );
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(0, 4).toString('utf8')).toBe('Date');
    expect(bytes.includes(Buffer.from('é😀', 'utf8'))).toBe(true);
  });

  it('stops at the row cap and reports truncation', async () => {
    const events = Array.from({ length: 5 }, (_, i) => makeEvent({ id: `evt-${i}` }));
    const capped = await writeToString(events, 3);
    expect({ rowCount: capped.rowCount, truncated: capped.truncated }).toEqual({
      rowCount: 3,
      truncated: true,
    });
    const rows = await parseCsv(capped.text);
    expect(rows.slice(1).map((row) => row[11])).toEqual(['evt-0', 'evt-1', 'evt-2']);

    const exact = await writeToString(events, 5);
    expect({ rowCount: exact.rowCount, truncated: exact.truncated }).toEqual({
      rowCount: 5,
      truncated: false,
    });

    const none = await writeToString(events, 0);
    expect(none.text).toBe(`${EXPORT_CSV_COLUMNS.join(',')}\r\n`);
    expect(none.truncated).toBe(true);
  });

  it('reports the seq range of the rows written, not of the event read past the cap', async () => {
    // Newest first, as the store streams them; seq 40 is read only to learn the cap was hit.
    const events = [50, 47, 44, 40].map((seq) => makeEvent({ id: `evt-${seq}`, seq }));
    expect((await writeToString(events, 3)).seqRange).toEqual({ first: 44, last: 50 });
    expect((await writeToString(events)).seqRange).toEqual({ first: 40, last: 50 });
    expect((await writeToString([])).seqRange).toBeNull();
    expect((await writeToString(events, 0)).seqRange).toBeNull();
  });

  it('closes the source once the cap is reached', async () => {
    let produced = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<AuditEvent> {
      try {
        for (;;) {
          produced += 1;
          yield makeEvent({ id: `evt-${produced}` });
        }
      } finally {
        closed = true;
      }
    }
    const result = await writeToString(endless(), 10);
    expect(result.rowCount).toBe(10);
    expect(result.truncated).toBe(true);
    expect(closed).toBe(true);
    expect(produced).toBe(11);
  });

  it('reads the source only as fast as the destination accepts rows', async () => {
    let produced = 0;
    async function* many(): AsyncGenerator<AuditEvent> {
      for (let i = 0; i < 5000; i++) {
        produced += 1;
        yield makeEvent({ id: `evt-${i}`, seq: 5000 - i });
      }
    }
    let held: (() => void) | undefined;
    let blocked = true;
    let written = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, cb) {
        written += 1;
        if (blocked) {
          held = cb;
        } else {
          cb();
        }
      },
    });
    const done = writeEventsCsv(many(), slow, describeAction);
    // Let the pipeline fill every buffer, then check it stopped pulling from the source.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toBe(1);
    expect(produced).toBeLessThan(200);
    blocked = false;
    held?.();
    await expect(done).resolves.toEqual({
      rowCount: 5000,
      truncated: false,
      seqRange: { first: 1, last: 5000 },
    });
    expect(produced).toBe(5000);
  });

  it('rejects and ends the destination when the source fails', async () => {
    async function* failing(): AsyncGenerator<AuditEvent> {
      yield makeEvent();
      throw new Error('database went away');
    }
    const out = new PassThrough();
    out.resume();
    await expect(writeEventsCsv(failing(), out, describeAction)).rejects.toThrow(
      'database went away',
    );
    expect(out.destroyed).toBe(true);
  });
});
