import { DeliveredEvent, DeliveryBatch } from './transport';

/**
 * The SD-ID of AuditKit's structured data element. 32473 is the Private Enterprise Number IANA
 * reserves for documentation (RFC 5612), so the id can never clash with a registered vendor's.
 */
export const AUDITKIT_SD_ID = 'auditkit@32473';

/** Syslog facility 13, "log audit" (RFC 5424 table 1). */
export const SYSLOG_FACILITY_LOG_AUDIT = 13;

// RFC 5424 section 6.2.1: severities.
const SEVERITY_WARNING = 4;
const SEVERITY_NOTICE = 5;

// RFC 5424 section 6: the header fields' lengths.
const MAX_HOSTNAME = 255;
const MAX_APP_NAME = 48;
const MAX_MSGID = 32;

/** What every message of one transport shares. */
export interface SyslogHeaderFields {
  facility: number;
  hostname: string;
  appName: string;
  /** The largest message (without its octet-count frame) the receiver takes. */
  maxMessageBytes: number;
}

/**
 * A header field as RFC 5424 allows it: printable US-ASCII without spaces (`PRINTUSASCII`),
 * at most `max` characters, or the NILVALUE `-` when nothing is left.
 */
export function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** An SD-PARAM value escaped as RFC 5424 section 6.3.3 requires: `"`, `\` and `]`. */
export function escapeSdParam(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

const RFC5424_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** The event time as an RFC 5424 TIMESTAMP (UTC, milliseconds), or `-` if it has none. */
export function syslogTimestamp(time: unknown): string {
  if (typeof time === 'string' && RFC5424_TIME.test(time)) return time;
  if (typeof time !== 'string' && typeof time !== 'number') return '-';
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString();
}

function attributesOf(event: DeliveredEvent): Record<string, unknown> {
  const attributes = event.attributes;
  return attributes && typeof attributes === 'object'
    ? (attributes as Record<string, unknown>)
    : {};
}

/**
 * One event as one RFC 5424 message (without the RFC 5425 frame). The structured data element
 * carries the org, the event's seq and id, and the batch's seq range and last chain hash, so a
 * receiver can check continuity without parsing MSG. MSG is the event's JSON, UTF-8 without a
 * BOM (JSON must not start with one, RFC 8259 section 8.1). A message over `maxMessageBytes` has
 * its MSG cut at a character boundary and a `truncated` SD-PARAM giving MSG's full byte length:
 * the receiver keeps the event's identity and knows the JSON is incomplete.
 */
export function syslogMessage(
  event: DeliveredEvent,
  batch: DeliveryBatch,
  header: SyslogHeaderFields,
): Buffer {
  const attributes = attributesOf(event);
  const severity = attributes.outcome === 'failure' ? SEVERITY_WARNING : SEVERITY_NOTICE;
  const head = [
    `<${header.facility * 8 + severity}>1`,
    syslogTimestamp(attributes.time),
    headerField(header.hostname, MAX_HOSTNAME),
    headerField(header.appName, MAX_APP_NAME),
    '-',
    headerField(typeof attributes.action === 'string' ? attributes.action : '', MAX_MSGID),
  ].join(' ');
  const params: [string, unknown][] = [
    ['org', batch.orgId],
    ['seq', attributes.seq],
    ['id', event.id],
    ['first', batch.firstSeq],
    ['last', batch.lastSeq],
  ];
  if (batch.lastHash !== null) params.push(['lastHash', batch.lastHash]);
  const sd = (extra: [string, unknown][]) =>
    `[${AUDITKIT_SD_ID}${[...params, ...extra]
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => ` ${k}="${escapeSdParam(String(v))}"`)
      .join('')}]`;

  const msg = Buffer.from(JSON.stringify(event), 'utf8');
  const whole = Buffer.from(`${head} ${sd([])} `, 'utf8');
  if (whole.length + msg.length <= header.maxMessageBytes) return Buffer.concat([whole, msg]);
  const prefix = Buffer.from(`${head} ${sd([['truncated', msg.length]])} `, 'utf8');
  return Buffer.concat([prefix, utf8Prefix(msg, header.maxMessageBytes - prefix.length)]);
}

/** The longest start of `buf` of at most `max` bytes that does not split a UTF-8 character. */
function utf8Prefix(buf: Buffer, max: number): Buffer {
  if (max <= 0) return Buffer.alloc(0);
  if (buf.length <= max) return buf;
  let end = max;
  // A continuation byte (10xxxxxx) at the cut means the character started before it.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}

/** RFC 5425 section 4.3 octet-counting framing: `MSG-LEN SP SYSLOG-MSG`. */
export function octetCountingFrame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}
