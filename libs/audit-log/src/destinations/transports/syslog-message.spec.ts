import {
  AUDITKIT_SD_ID,
  escapeSdParam,
  headerField,
  octetCountingFrame,
  syslogMessage,
  syslogTimestamp,
} from './syslog-message';
import { DeliveryBatch } from './transport';

const header = { facility: 13, hostname: 'host-1', appName: 'auditkit', maxMessageBytes: 8192 };

function batch(
  attributes: Record<string, unknown>,
  lastHash: string | null = 'ab12',
): DeliveryBatch {
  return {
    orgId: 'acme',
    destinationId: 'd-1',
    firstSeq: 7,
    lastSeq: 9,
    lastHash,
    events: [{ id: 'ev-7', type: 'events', attributes: { seq: 7, ...attributes } }],
  };
}

describe('syslog messages (RFC 5424)', () => {
  it('writes PRI, version, timestamp, header fields, the SD element and the event JSON', () => {
    const b = batch({ time: '2026-12-01T12:00:00.123Z', action: 'group_created' });
    expect(syslogMessage(b.events[0], b, header).toString()).toBe(
      `<109>1 2026-12-01T12:00:00.123Z host-1 auditkit - group_created ` +
        `[${AUDITKIT_SD_ID} org="acme" seq="7" id="ev-7" first="7" last="9" lastHash="ab12"] ` +
        JSON.stringify(b.events[0]),
    );
  });

  it('is a warning for a failure, and leaves out a null lastHash', () => {
    const b = batch({ outcome: 'failure' }, null);
    const text = syslogMessage(b.events[0], b, header).toString();
    expect(text.startsWith('<108>1 - host-1 auditkit - - [')).toBe(true);
    expect(text).not.toContain('lastHash');
  });

  it('escapes ", \\ and ] in param values only', () => {
    expect(escapeSdParam('a"b\\c]d[e=')).toBe('a\\"b\\\\c\\]d[e=');
  });

  it('keeps header fields printable ASCII, bounded, or NILVALUE', () => {
    expect(headerField('rôle changé', 32)).toBe('r_le_chang_');
    expect(headerField('x'.repeat(40), 32)).toHaveLength(32);
    expect(headerField('', 32)).toBe('-');
  });

  it('renders times as RFC 5424 timestamps', () => {
    expect(syslogTimestamp('2026-12-01T12:00:00.123Z')).toBe('2026-12-01T12:00:00.123Z');
    expect(syslogTimestamp(Date.UTC(2026, 0, 2))).toBe('2026-01-02T00:00:00.000Z');
    expect(syslogTimestamp('not a date')).toBe('-');
    expect(syslogTimestamp(undefined)).toBe('-');
  });

  it('cuts an oversized MSG at a character boundary and says how long it was', () => {
    const b = batch({ metadata: { text: 'é'.repeat(600) } });
    const full = Buffer.byteLength(JSON.stringify(b.events[0]));
    const message = syslogMessage(b.events[0], b, { ...header, maxMessageBytes: 480 });
    expect(message.length).toBeLessThanOrEqual(480);
    const text = message.toString('utf8');
    expect(text).not.toContain('\ufffd');
    expect(text).toContain(` truncated="${full}"]`);
  });

  it('frames with the octet count', () => {
    expect(octetCountingFrame(Buffer.from('<13>1 é')).toString()).toBe('8 <13>1 é');
  });
});
