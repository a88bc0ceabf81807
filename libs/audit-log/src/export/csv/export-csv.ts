import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { format } from 'fast-csv';
import type { AuditEvent, AuditTarget } from '../../event/audit-event.interface';

/** The header row of an export, in column order (docs/api.md section 5, "The CSV"). */
export const EXPORT_CSV_COLUMNS: readonly string[] = Object.freeze([
  'Date',
  'Actor',
  'Actor email',
  'Action',
  'Action key',
  'Category',
  'Targets',
  'Site',
  'Product',
  'IP address',
  'Outcome',
  'Event ID',
]);

/** How an action is shown: its catalog display name and its category's display name. */
export type ExportActionDescriber = (action: string) => {
  displayName: string;
  categoryDisplayName: string;
};

/** Options of {@link writeEventsCsv}. */
export interface WriteEventsCsvOptions {
  /**
   * Most data rows written; further events are not read past the first one that shows the cap
   * was exceeded.
   * @default unlimited
   */
  maxRows?: number;
}

/** What {@link writeEventsCsv} wrote. */
export interface WriteEventsCsvResult {
  /** Data rows written, the header row not counted. */
  rowCount: number;
  /** True when the source held more events than `maxRows`. */
  truncated: boolean;
  /** The lowest and highest `seq` among the rows written, or null when none was. */
  seqRange: { first: number; last: number } | null;
}

// OWASP CSV injection: a spreadsheet reads a cell starting with one of these as a formula.
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r', '\n']);

/**
 * Neutralises a cell a spreadsheet would read as a formula (first character `=`, `+`, `-`, `@`,
 * tab, CR or LF) by prepending a single quote, as the OWASP CSV injection guidance advises. Any
 * other value is returned unchanged; RFC 4180 quoting is left to the CSV writer.
 */
export function neutralizeCsvCell(value: string): string {
  return value.length > 0 && FORMULA_TRIGGERS.has(value[0]) ? `'${value}` : value;
}

// What the store hands out: already ISO 8601 UTC with milliseconds, nothing to convert.
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function formatDate(time: AuditEvent['time'] | Date): string {
  if (typeof time === 'string' && CANONICAL_UTC.test(time)) {
    return time;
  }
  const date = time instanceof Date ? time : new Date(time);
  // A stored time is always valid; an odd one is shown as stored rather than failing the export.
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}

function formatTarget(target: AuditTarget): string {
  if (target.name && target.email) {
    return `${target.name} <${target.email}>`;
  }
  return target.name || target.email || target.id;
}

/**
 * The cells of one event, in {@link EXPORT_CSV_COLUMNS} order, each already passed through
 * {@link neutralizeCsvCell}. Targets read `Name <email>`, or the name, e-mail or id, joined by
 * `; `; the actor and site fall back to their ids; absent values are empty cells.
 */
export function eventToCsvRow(event: AuditEvent, describe: ExportActionDescriber): string[] {
  const { displayName, categoryDisplayName } = describe(event.action);
  const row = [
    formatDate(event.time),
    event.actor.name || event.actor.id,
    event.actor.email ?? '',
    displayName,
    event.action,
    categoryDisplayName,
    (event.targets ?? []).map(formatTarget).join('; '),
    event.site ? event.site.name || event.site.id : '',
    event.product ?? '',
    event.location?.ip ?? '',
    event.outcome,
    event.id,
  ];
  return row.map((cell) => neutralizeCsvCell(cell));
}

/** Resolves when `stream` wants more, rejects if it fails or closes first. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (err: unknown) => done(err);
    const onClose = () => done(new Error('the CSV stream closed before the export was written'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * Streams events as an export CSV into `out`: UTF-8, RFC 4180 quoting, `\r\n` after every record,
 * the header row even when there are no events, at most `maxRows` data rows. Rows are pulled
 * from `events` only as fast as `out` accepts them, so an export never sits in memory. `out` is
 * ended when the last row is written and destroyed when the source or the stream fails.
 */
export async function writeEventsCsv(
  events: AsyncIterable<AuditEvent>,
  out: NodeJS.WritableStream,
  describe: ExportActionDescriber,
  opts: WriteEventsCsvOptions = {},
): Promise<WriteEventsCsvResult> {
  const maxRows = opts.maxRows ?? Number.POSITIVE_INFINITY;
  if (!(maxRows >= 0)) {
    throw new RangeError(`maxRows must be zero or more, got ${String(opts.maxRows)}`);
  }
  const result: WriteEventsCsvResult = { rowCount: 0, truncated: false, seqRange: null };
  const csv = format<string[], string[]>({
    headers: [...EXPORT_CSV_COLUMNS],
    alwaysWriteHeaders: true,
    rowDelimiter: '\r\n',
    includeEndRowDelimiter: true,
  });
  const piped = pipeline(csv, out as Writable);
  try {
    // Rows go straight into the formatter (no stream per row in between): an export is
    // mostly this loop, run once per event.
    for await (const event of events) {
      if (result.rowCount >= maxRows) {
        result.truncated = true;
        // Leaving the loop calls the source's return(), so a database cursor behind it is closed.
        break;
      }
      const more = csv.write(eventToCsvRow(event, describe));
      result.rowCount += 1;
      const range = result.seqRange;
      if (!range) result.seqRange = { first: event.seq, last: event.seq };
      else if (event.seq < range.first) range.first = event.seq;
      else if (event.seq > range.last) range.last = event.seq;
      if (!more) await drained(csv);
    }
    csv.end();
  } catch (err) {
    csv.destroy(err as Error);
    await piped.catch(() => undefined);
    throw err;
  }
  await piped;
  return result;
}
