import 'reflect-metadata';
import fc from 'fast-check';
import { findTooDeep } from '../http/json-depth';
import { validateDto } from '../http/validate-dto';
import { isPlainIngestEvent } from './ingest-event.check';
import { IngestEventDto } from './ingest-event.dto';

// Values of every JSON kind, so that each field is tried with the wrong ones too.
const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string(), { maxLength: 2 }),
);
// Mostly the right kind, sometimes any other: the fast path is reached, and its edges tried.
const mostly = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: arb, weight: 5 }, { arbitrary: anyValue, weight: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(mostly(arb), { nil: undefined });
const keyish = fc.constantFrom(
  'id',
  'type',
  'name',
  'email',
  'ip',
  'userAgent',
  'extra',
  '__proto__',
  'constructor',
  'toString',
);
const party = fc.oneof(
  {
    arbitrary: fc.record(
      { id: mostly(fc.string()), type: maybe(fc.string()), name: maybe(fc.string()) },
      { requiredKeys: ['id'] },
    ),
    weight: 6,
  },
  fc.dictionary(keyish, anyValue, { maxKeys: 3 }),
  anyValue,
);
// Keys the DTO refuses, on one body in six.
const refused = fc.option(
  fc.record(
    { id: anyValue, seq: anyValue, orgId: anyValue, extra: anyValue },
    { requiredKeys: [] },
  ),
  { freq: 5, nil: {} },
);
const fields = fc.record(
  {
    action: mostly(fc.constantFrom('group_created', 'user_login')),
    actor: party,
    targets: mostly(fc.array(party, { maxLength: 3 })),
    site: fc.oneof(party, fc.constant(null)),
    product: maybe(fc.string()),
    location: mostly(
      fc.dictionary(fc.constantFrom('ip', 'userAgent', 'extra'), mostly(fc.string()), {
        maxKeys: 2,
      }),
    ),
    outcome: maybe(fc.constantFrom('success', 'failure', 'maybe')),
    metadata: mostly(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 })),
    time: maybe(
      fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.integer(),
      ),
    ),
    category: maybe(fc.string()),
  },
  { requiredKeys: ['actor'] },
);
const body = fc.tuple(fields, refused).map(([f, r]) => ({ ...f, ...r }));
// What a body parser hands over: a JSON text's value, `__proto__` an own key like any other.
const parsed = body.map((b) => JSON.parse(JSON.stringify(b)) as unknown);

function dtoTakes(value: unknown): boolean {
  try {
    validateDto(IngestEventDto, value, 'pointer');
    return true;
  } catch {
    return false;
  }
}

describe('isPlainIngestEvent', () => {
  it('passes nothing that the DTO refuses', () => {
    let passed = 0;
    fc.assert(
      fc.property(parsed, (value) => {
        if (!isPlainIngestEvent(value) || findTooDeep(value)) return;
        passed += 1;
        expect(dtoTakes(value)).toBe(true);
      }),
      { numRuns: 5000, seed: 20261201 },
    );
    // The generator reaches the fast path often enough for the property to mean something.
    expect(passed).toBeGreaterThan(20);
  });

  it('passes the well-formed bodies that clients send', () => {
    const bodies: unknown[] = [
      { action: 'group_created', actor: { id: 'u-1' } },
      {
        action: 'user_added_to_group',
        actor: { id: 'u-1', type: 'user', name: 'Ada', email: 'ada@example.com' },
        targets: [
          { id: 'g-1', type: 'group', name: 'Admins' },
          { id: 'u-2', type: 'user' },
        ],
        site: { id: 's-1', name: 'Acme' },
        product: 'jira',
        location: { ip: '203.0.113.7', userAgent: 'curl/8' },
        outcome: 'failure',
        metadata: { reason: { nested: [1, 2] } },
        time: '2026-11-30T10:00:00.000Z',
        category: 'group_management',
      },
      {
        action: 'user_login',
        actor: { id: 'u-1' },
        site: null,
        product: null,
        time: 1764500000000,
      },
    ];
    for (const b of bodies) {
      const value = JSON.parse(JSON.stringify(b)) as unknown;
      expect(isPlainIngestEvent(value)).toBe(true);
      expect(dtoTakes(value)).toBe(true);
    }
  });

  it('leaves to class-validator what it cannot vouch for', () => {
    for (const b of [
      { action: 'x', actor: { id: 'u', extra: 1 } },
      { action: 'x', actor: { id: 'u' }, id: 'mine' },
      { action: 'x', actor: { id: 'u' }, time: null },
      { action: 'x', actor: { id: 1 } },
      { action: 'x', actor: { id: 'u' }, targets: [null] },
      JSON.parse('{"action":"x","actor":{"id":"u"},"__proto__":{"a":1}}'),
    ])
      expect(isPlainIngestEvent(b)).toBe(false);
  });
});
