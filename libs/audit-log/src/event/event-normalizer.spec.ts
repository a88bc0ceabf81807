import { ActionCatalog } from '../catalog/action-catalog';
import { AuditValidationError } from '../exceptions/audit-validation.exception';
import { AuditEventInput } from './audit-event.interface';
import { EVENT_LIMITS, normalizeEvent } from './event-normalizer';
import { DEFAULT_REDACT_KEYS, REDACTED, secretKeyMatcher } from './redact';

const NOW = Date.parse('2026-11-25T17:04:05.123Z');
const catalog = new ActionCatalog();
const isSecret = secretKeyMatcher(DEFAULT_REDACT_KEYS);

function valid(): AuditEventInput {
  return {
    orgId: 'acme',
    action: 'user_added_to_group',
    actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
    targets: [
      { id: 'u-9', type: 'user', name: 'Bob Li', email: 'bob@acme.test' },
      { id: 'g-1', type: 'group', name: 'jira-admins' },
    ],
    site: { id: 's-1', name: 'acme.atlassian.test' },
    product: 'jira',
    location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    metadata: { reason: 'onboarding' },
  };
}

const normalize = (input: unknown) =>
  normalizeEvent(input as AuditEventInput, catalog, isSecret, NOW);

/** The error `normalize` throws for `input`; fails the test when it does not throw one. */
function rejection(input: unknown): AuditValidationError {
  try {
    normalize(input);
  } catch (err) {
    expect(err).toBeInstanceOf(AuditValidationError);
    return err as AuditValidationError;
  }
  throw new Error('expected an AuditValidationError');
}

/** Metadata of `levels` nested objects, the metadata object itself being the first. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 'x' };
  for (let i = 1; i < levels; i++) value = { child: value };
  return value;
}

describe('normalizeEvent', () => {
  it('completes a valid event', () => {
    expect(normalize(valid())).toEqual({
      orgId: 'acme',
      action: 'user_added_to_group',
      category: 'groups',
      occurredAt: NOW,
      actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
      targets: valid().targets,
      site: { id: 's-1', name: 'acme.atlassian.test' },
      product: 'jira',
      location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
      outcome: 'success',
      metadata: { reason: 'onboarding' },
    });
  });

  it('fills in defaults: actor type user, no targets, no site, now', () => {
    const e = normalize({ orgId: 'acme', action: 'group_created', actor: { id: 'u-1' } });
    expect(e.actor).toEqual({ id: 'u-1', type: 'user' });
    expect(e.targets).toEqual([]);
    expect(e.site).toBeNull();
    expect(e.product).toBeNull();
    expect(e.location).toEqual({});
    expect(e.metadata).toEqual({});
    expect(e.occurredAt).toBe(NOW);
  });

  it.each([
    ['"quotes" and \'apostrophes\''],
    ['emoji 😀👩‍👩‍👧 and ZWJ'],
    ['line one\nline two\r\nline three\ttab'],
    ["=cmd|' /C calc'!A0"],
    ['+SUM(1,2)'],
    ['@mention -dash'],
    ['  leading and trailing spaces  '],
    ['Zoë Ångström (NFD: Zoe\u0308)'],
  ])('keeps the name %j exactly', (name) => {
    const input = valid();
    input.actor.name = name;
    input.targets![0].name = name;
    input.site = { id: 's-1', name };
    input.metadata = { note: name };
    const e = normalize(input);
    expect(e.actor.name).toBe(name);
    expect(e.targets[0].name).toBe(name);
    expect(e.site!.name).toBe(name);
    expect(e.metadata.note).toBe(name);
  });

  describe('rejects, naming the field', () => {
    const cases: [string, (i: any) => void, string][] = [
      ['a missing orgId', (i) => delete i.orgId, 'orgId'],
      ['an empty orgId', (i) => (i.orgId = '   '), 'orgId'],
      ['an orgId with a slash', (i) => (i.orgId = 'acme/evil'), 'orgId'],
      ['a missing action', (i) => delete i.action, 'action'],
      ['a missing actor', (i) => delete i.actor, 'actor'],
      ['an actor that is a string', (i) => (i.actor = 'u-1'), 'actor'],
      ['an actor without id', (i) => delete i.actor.id, 'actor.id'],
      ['an actor id that is a number', (i) => (i.actor.id = 42), 'actor.id'],
      ['a 1 MB actor name', (i) => (i.actor.name = 'x'.repeat(1024 * 1024)), 'actor.name'],
      [
        'a 1 MB target name',
        (i) => (i.targets[1].name = 'y'.repeat(1024 * 1024)),
        'targets[1].name',
      ],
      ['a 1 MB site name', (i) => (i.site.name = 'z'.repeat(1024 * 1024)), 'site.name'],
      [
        'a 1 MB user agent',
        (i) => (i.location.userAgent = 'a'.repeat(1024 * 1024)),
        'location.userAgent',
      ],
      ['a lone high surrogate in a name', (i) => (i.actor.name = 'Jane \uD800 Doe'), 'actor.name'],
      ['a lone low surrogate in a name', (i) => (i.targets[0].name = '\uDC00'), 'targets[0].name'],
      [
        'a lone surrogate in an e-mail',
        (i) => (i.actor.email = 'j\uD800@acme.test'),
        'actor.email',
      ],
      ['a lone surrogate in metadata', (i) => (i.metadata = { note: 'a\uD800' }), 'metadata.note'],
      ['a lone surrogate in a metadata key', (i) => (i.metadata = { ['k\uD800']: 1 }), 'metadata'],
      ['a NUL in a name', (i) => (i.actor.name = 'Jane\u0000Doe'), 'actor.name'],
      ['a NUL in a target id', (i) => (i.targets[0].id = 'u-\u00009'), 'targets[0].id'],
      ['a NUL in the product', (i) => (i.product = 'ji\u0000ra'), 'product'],
      ['targets that are not an array', (i) => (i.targets = { id: 'u-9' }), 'targets'],
      [
        'too many targets',
        (i) =>
          (i.targets = Array.from({ length: 101 }, (_, n) => ({ id: `u-${n}`, type: 'user' }))),
        'targets',
      ],
      ['a target without type', (i) => delete i.targets[0].type, 'targets[0].type'],
      ['a location that is an array', (i) => (i.location = ['203.0.113.7']), 'location'],
      ['a location that is a string', (i) => (i.location = '203.0.113.7'), 'location'],
      ['an ip that is not one', (i) => (i.location.ip = 'not-an-ip'), 'location.ip'],
      ['an ip with a port', (i) => (i.location.ip = '203.0.113.7:443'), 'location.ip'],
      ['an ip out of range', (i) => (i.location.ip = '256.1.1.1'), 'location.ip'],
      ['a time that is not a date', (i) => (i.time = 'yesterday'), 'time'],
      ['a time that does not parse', (i) => (i.time = '2026-13-45T99:00:00Z'), 'time'],
      ['an invalid Date', (i) => (i.time = new Date('nope')), 'time'],
      ['a fractional epoch', (i) => (i.time = 1.5), 'time'],
      ['a negative epoch', (i) => (i.time = -1), 'time'],
      ['a time two days ahead', (i) => (i.time = NOW + 2 * 24 * 3600 * 1000), 'time'],
      ['a time that is an object', (i) => (i.time = {}), 'time'],
      ['an unknown outcome', (i) => (i.outcome = 'maybe'), 'outcome'],
      ['metadata that is an array', (i) => (i.metadata = [1, 2]), 'metadata'],
      ['metadata with a function', (i) => (i.metadata = { f: () => 1 }), 'metadata.f'],
      ['metadata with NaN', (i) => (i.metadata = { n: NaN }), 'metadata.n'],
      ['metadata with a Date', (i) => (i.metadata = { at: new Date() }), 'metadata.at'],
      ['metadata with a bigint', (i) => (i.metadata = { n: BigInt(1) }), 'metadata.n'],
    ];
    it.each(cases)('%s', (_name, mutate, field) => {
      const input = valid();
      mutate(input);
      const err = rejection(input);
      expect(err.field).toBe(field);
      expect(err.code).toBe('invalid_field');
      expect(err.message).toContain(field);
    });
  });

  it.each([undefined, null, 'event', 42])('rejects %p as the event', (input) => {
    expect(rejection(input).field).toBe('event');
  });

  it('rejects an unknown action with code unknown_action', () => {
    const err = rejection({ ...valid(), action: 'user_teleported' });
    expect(err.field).toBe('action');
    expect(err.code).toBe('unknown_action');
    expect(err.message).toContain('user_teleported');
  });

  it(`accepts metadata ${EVENT_LIMITS.metadataDepth} levels deep and rejects one level more`, () => {
    expect(
      normalize({ ...valid(), metadata: nested(EVENT_LIMITS.metadataDepth) }).metadata,
    ).toEqual(nested(EVENT_LIMITS.metadataDepth));
    const err = rejection({ ...valid(), metadata: nested(EVENT_LIMITS.metadataDepth + 1) });
    expect(err.field).toMatch(/^metadata(\.child)+$/);
    expect(err.detail).toContain('deeper than 8');
  });

  it('counts arrays as levels too', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < EVENT_LIMITS.metadataDepth; i++) value = [value];
    expect(rejection({ ...valid(), metadata: { list: value } }).field).toMatch(
      /^metadata\.list(\[0\])+$/,
    );
  });

  it('rejects a cyclic metadata object instead of looping', () => {
    const metadata: Record<string, unknown> = {};
    metadata.self = metadata;
    expect(rejection({ ...valid(), metadata }).field).toMatch(/^metadata(\.self)+$/);
  });

  it('accepts metadata of exactly 16 KiB as JSON and rejects one byte more', () => {
    const overhead = JSON.stringify({ blob: '' }).length;
    const exact = { blob: 'a'.repeat(EVENT_LIMITS.metadataBytes - overhead) };
    expect(normalize({ ...valid(), metadata: exact }).metadata).toEqual(exact);
    const err = rejection({
      ...valid(),
      metadata: { blob: 'a'.repeat(EVENT_LIMITS.metadataBytes - overhead + 1) },
    });
    expect(err.field).toBe('metadata');
    expect(err.detail).toContain(`${EVENT_LIMITS.metadataBytes}`);
  });

  it('measures metadata in UTF-8 bytes, not characters', () => {
    // 6,000 emoji are 12,000 UTF-16 units but 24,000 UTF-8 bytes.
    expect(rejection({ ...valid(), metadata: { blob: '😀'.repeat(6000) } }).field).toBe('metadata');
  });

  it('measures metadata after redaction, so a huge secret does not count', () => {
    const e = normalize({ ...valid(), metadata: { password: 'p'.repeat(100_000) } });
    expect(e.metadata).toEqual({ password: REDACTED });
  });

  it('redacts secret-looking metadata keys', () => {
    const e = normalize({
      ...valid(),
      metadata: { reason: 'rotation', apiKey: 'k-1', nested: { list: [{ password: 'hunter2' }] } },
    });
    expect(e.metadata).toEqual({
      reason: 'rotation',
      apiKey: REDACTED,
      nested: { list: [{ password: REDACTED }] },
    });
  });

  it('accepts IPv4, IPv6 and IPv4-mapped addresses', () => {
    for (const ip of ['203.0.113.7', '2001:db8::1', '::1', '::ffff:203.0.113.7']) {
      expect(normalize({ ...valid(), location: { ip } }).location.ip).toBe(ip);
    }
  });

  it('accepts a time as ISO 8601, epoch ms or a Date, and keeps milliseconds', () => {
    const at = '2026-11-24T08:00:00.007Z';
    expect(normalize({ ...valid(), time: at }).occurredAt).toBe(Date.parse(at));
    expect(normalize({ ...valid(), time: '2026-11-24T09:00:00.007+01:00' }).occurredAt).toBe(
      Date.parse(at),
    );
    expect(normalize({ ...valid(), time: Date.parse(at) }).occurredAt).toBe(Date.parse(at));
    expect(normalize({ ...valid(), time: new Date(at) }).occurredAt).toBe(Date.parse(at));
  });

  it('reads an ISO 8601 time without an offset as UTC, whatever the server time zone', () => {
    expect(normalize({ ...valid(), time: '2026-11-24T08:00:00.007' }).occurredAt).toBe(
      Date.parse('2026-11-24T08:00:00.007Z'),
    );
  });

  it('keeps a metadata key named __proto__ as data', () => {
    const metadata = JSON.parse('{"__proto__": {"x": 1}, "a": 1}');
    const e = normalize({ ...valid(), metadata });
    expect(JSON.parse(JSON.stringify(e.metadata))).toEqual(metadata);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
