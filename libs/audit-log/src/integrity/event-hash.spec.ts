import fc from 'fast-check';
import { createHash, hash } from 'node:crypto';
import { canonicalize } from './canonical-json';
import {
  commitment,
  eventHashInputV1,
  eventHashV1,
  fieldSalts,
  HashableEvent,
  UnhashableEventError,
} from './event-hash';

const event: HashableEvent = {
  id: '01JD7Z8Y6X5W4V3T2S1R0Q9P8N',
  orgId: 'acme',
  seq: 42,
  occurredAt: 1764083045123,
  recordedAt: 1764083045200,
  action: 'user_added_to_group',
  category: 'groups',
  outcome: 'success',
  product: 'jira',
  actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
  targets: [
    { id: 'u-9', type: 'user', name: 'Bob Li', email: 'bob@acme.test' },
    { id: 'g-1', type: 'group', name: 'jira-admins' },
  ],
  site: { id: 's-1', name: 'acme.atlassian.test' },
  location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
  metadata: { reason: 'onboarding', constructor: 1 },
};
const SALT = 'AAECAwQFBgcICQoLDA0ODw';
const PREV = 'a'.repeat(64);

describe('eventHashV1', () => {
  it('is the value docs/integrity.md gives as its test vector', () => {
    expect(eventHashV1(event, PREV, { salt: SALT })).toBe(
      '4c32d6eb1e128385de98cf3f97c58fecaac8c73b17fbae9f022eac3e9c0a5d90',
    );
  });

  it('follows the written definition step by step', () => {
    // Field salts: 16-byte slices of SHAKE256 over the event salt, in personal-field order.
    const order = ['actor.name', 'actor.email', 'location.ip', 'location.userAgent'];
    order.push('targets.0.name', 'targets.0.email', 'targets.1.name', 'targets.1.email');
    const xof = createHash('shake256', { outputLength: 16 * order.length })
      .update(`auditkit.field-salts.v1\u0000${SALT}`)
      .digest();
    const c = (path: string, value: string) => {
      const i = order.indexOf(path);
      const salt = xof.subarray(16 * i, 16 * i + 16).toString('hex');
      return hash('sha256', `${salt}\u0000${value}`, 'hex');
    };
    const text =
      `{"action":"user_added_to_group","actor":{"email":"${c('actor.email', 'jane@acme.test')}","id":"u-123","name":"${c('actor.name', 'Jane Doe')}","type":"user"},` +
      `"category":"groups","id":"01JD7Z8Y6X5W4V3T2S1R0Q9P8N",` +
      `"location":{"ip":"${c('location.ip', '203.0.113.7')}","userAgent":"${c('location.userAgent', 'Mozilla/5.0')}"},` +
      `"metadata":{"constructor":1,"reason":"onboarding"},"org":"acme","outcome":"success",` +
      `"prev":"${PREV}","product":"jira","recorded":1764083045200,"seq":42,` +
      `"site":{"id":"s-1","name":"acme.atlassian.test"},` +
      `"targets":[{"email":"${c('targets.0.email', 'bob@acme.test')}","id":"u-9","name":"${c('targets.0.name', 'Bob Li')}","type":"user"},` +
      `{"email":null,"id":"g-1","name":"${c('targets.1.name', 'jira-admins')}","type":"group"}],` +
      `"time":1764083045123,"v":1}`;
    expect(eventHashV1(event, PREV, { salt: SALT })).toBe(
      hash('sha256', `auditkit.event.v1\n${text}`, 'hex'),
    );
  });

  it('changes with every field, the org, the seq and the previous hash', () => {
    const base = eventHashV1(event, PREV, { salt: SALT });
    const variants: HashableEvent[] = [
      { ...event, orgId: 'globex' },
      { ...event, seq: 43 },
      { ...event, occurredAt: event.occurredAt + 1 },
      { ...event, action: 'group_created' },
      { ...event, outcome: 'failure' },
      { ...event, actor: { ...event.actor, email: 'eve@evil.test' } },
      { ...event, targets: [event.targets[1], event.targets[0]] },
      { ...event, location: { ...event.location, ip: '198.51.100.1' } },
      { ...event, metadata: { reason: 'onboarding', constructor: 2 } },
      { ...event, site: null },
    ];
    for (const v of variants) expect(eventHashV1(v, PREV, { salt: SALT })).not.toBe(base);
    expect(eventHashV1(event, null, { salt: SALT })).not.toBe(base);
    expect(eventHashV1(event, PREV, { salt: 'BBECAwQFBgcICQoLDA0ODw' })).not.toBe(base);
  });

  it('stays the same after a personal field is erased and its commitment kept', () => {
    const before = eventHashV1(event, PREV, { salt: SALT });
    // Erasing Bob: his values go, their commitments stay, and the event salt is replaced by the
    // salts of the fields that remain, so Bob's commitments cannot be brute-forced from it.
    const erasedPaths = ['targets.0.name', 'targets.0.email'];
    const kept = [
      'actor.name',
      'actor.email',
      'targets.1.name',
      'location.ip',
      'location.userAgent',
    ];
    const salts = fieldSalts(SALT, 2);
    const erased = Object.fromEntries(
      erasedPaths.map((p) => [
        p,
        commitment(salts.get(p)!, p.endsWith('name') ? 'Bob Li' : 'bob@acme.test'),
      ]),
    );
    const keptSalts = Object.fromEntries(kept.map((p) => [p, salts.get(p)!]));
    const after: HashableEvent = {
      ...event,
      targets: [{ id: 'u-9', type: 'user' }, event.targets[1]],
    };
    expect(eventHashV1(after, PREV, { salt: null, erased, fieldSalts: keptSalts })).toBe(before);
    expect(() => eventHashV1(after, PREV, { salt: null, erased })).toThrow(UnhashableEventError);
  });

  it('writes the same text as the generic RFC 8785 canonicalization, for any event', () => {
    const text = fc.string({ unit: 'binary' });
    const opt = fc.option(text, { nil: undefined });
    const party = fc.record({ id: text, type: text, name: opt, email: opt });
    const arb = fc.record({
      id: text,
      orgId: text,
      seq: fc.nat(),
      occurredAt: fc.integer({ min: -8.64e15, max: 8.64e15 }),
      recordedAt: fc.nat(),
      action: text,
      category: text,
      outcome: text,
      product: fc.option(text, { nil: null }),
      actor: party,
      targets: fc.array(party, { maxLength: 4 }),
      site: fc.option(fc.record({ id: text, name: fc.option(text, { nil: undefined }) }), {
        nil: null,
      }),
      location: fc.record({ ip: opt, userAgent: opt }),
      metadata: fc.dictionary(text, fc.jsonValue()) as fc.Arbitrary<Record<string, unknown>>,
    });
    fc.assert(
      fc.property(arb, fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: null }), (e, prev) => {
        const salts = fieldSalts(SALT, e.targets.length);
        const c = (path: string, v: string | null | undefined) =>
          v == null ? null : commitment(salts.get(path)!, v);
        const body = {
          v: 1,
          org: e.orgId,
          seq: e.seq,
          prev,
          id: e.id,
          time: e.occurredAt,
          recorded: e.recordedAt,
          action: e.action,
          category: e.category,
          outcome: e.outcome,
          product: e.product,
          actor: {
            id: e.actor.id,
            type: e.actor.type,
            name: c('actor.name', e.actor.name),
            email: c('actor.email', e.actor.email),
          },
          targets: e.targets.map((t, i) => ({
            id: t.id,
            type: t.type,
            name: c(`targets.${i}.name`, t.name),
            email: c(`targets.${i}.email`, t.email),
          })),
          site: e.site === null ? null : { id: e.site.id, name: e.site.name ?? null },
          location: {
            ip: c('location.ip', e.location.ip),
            userAgent: c('location.userAgent', e.location.userAgent),
          },
          metadata: e.metadata,
        };
        expect(eventHashInputV1(e, prev, { salt: SALT })).toBe(canonicalize(body));
      }),
      { numRuns: 300, seed: 20261201 },
    );
  });
});
