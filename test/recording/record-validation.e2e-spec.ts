import { Test, TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import {
  AuditEventInput,
  AuditLogModule,
  AuditService,
  AuditValidationError,
  auditDataSourceOptions,
  REDACTED,
} from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';

const NOW = Date.parse('2026-11-25T17:04:05.123Z');

function input(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
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
    ...overrides,
  };
}

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { child: value };
  return value;
}

describe.each(DATABASES)('AuditService.record validation and redaction on %s', (kind) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let moduleRef: TestingModule;
  let audit: AuditService;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    dataSource = new DataSource(auditDataSourceOptions(db.url));
    await dataSource.initialize();
    moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({
          dataSource,
          redactKeys: ['iban'],
          clock: { now: () => new Date(NOW) },
        }),
      ],
    }).compile();
    await moduleRef.init();
    audit = moduleRef.get(AuditService);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  const rows = (orgId: string) =>
    dataSource.query('SELECT * FROM auditkit_events WHERE org_id = ? ORDER BY seq', [orgId]);
  const total = async () =>
    Number((await dataSource.query('SELECT COUNT(*) AS n FROM auditkit_events'))[0].n);
  const totalTerms = async () =>
    Number((await dataSource.query('SELECT COUNT(*) AS n FROM auditkit_event_terms'))[0].n);

  it('stores secret-looking metadata as [REDACTED] at any depth and keeps the rest', async () => {
    const metadata = {
      author: 'Jane Doe',
      option: 'fast',
      description: 'Rotated credentials for the CI bot',
      password: 'hunter2-secret-value',
      request: {
        headers: {
          Authorization: 'Bearer eyJ-secret-value',
          'X-Api-Key': 'xak-secret-value',
          cookie: 'sid=secret-value',
          accept: 'application/json',
        },
        body: { client_secret: 'cs-secret-value', api_key: 'ak-secret-value', scope: 'read' },
      },
      devices: [
        { sessionToken: 'st-secret-value', device: 'laptop' },
        [{ deeper: { apiKey: 'k-secret-value', iban: 'DE89-secret-value', count: 2 } }],
      ],
    };
    const event = await audit.record(input({ metadata }));
    const expected = {
      author: 'Jane Doe',
      option: 'fast',
      description: 'Rotated credentials for the CI bot',
      password: REDACTED,
      request: {
        headers: {
          Authorization: REDACTED,
          'X-Api-Key': REDACTED,
          cookie: REDACTED,
          accept: 'application/json',
        },
        body: { client_secret: REDACTED, api_key: REDACTED, scope: 'read' },
      },
      devices: [
        { sessionToken: REDACTED, device: 'laptop' },
        [{ deeper: { apiKey: REDACTED, iban: REDACTED, count: 2 } }],
      ],
    };
    expect(event.metadata).toEqual(expected);
    const [row] = (await rows('acme')).filter((r: any) => r.id === event.id);
    expect(JSON.parse(row.metadata)).toEqual(expected);
    expect(row.metadata).not.toMatch(/secret-value/);
    // The caller's object is left as it was.
    expect(metadata.password).toBe('hunter2-secret-value');
  });

  it('stores names exactly as given: quotes, emoji, new lines, formulas, NFD', async () => {
    const names = [
      `=cmd|' /C calc'!A0`,
      `"Bobby" O'Brien; DROP TABLE x;--`,
      'Zoë 😀👩‍👩‍👧 Ångström',
      'two\nlines\r\nand\ttab',
      'Zoe\u0308 (NFD)',
      '  spaced  ',
    ];
    for (const [i, name] of names.entries()) {
      const orgId = `names-${i}`;
      await audit.record(
        input({
          orgId,
          actor: { id: 'u-1', type: 'user', name, email: 'jane@acme.test' },
          targets: [{ id: 'g-1', type: 'group', name }],
          site: { id: 's-1', name },
          metadata: { note: name },
        }),
      );
      const [row] = await rows(orgId);
      expect(row.actor_name).toBe(name);
      expect(JSON.parse(row.targets)).toEqual([{ id: 'g-1', type: 'group', name }]);
      expect(row.site_name).toBe(name);
      expect(JSON.parse(row.metadata)).toEqual({ note: name });
    }
  });

  describe('rejects a bad event with AuditValidationError naming the field, storing nothing', () => {
    const bad: [string, AuditEventInput, string, string?][] = [
      ['no actor', { ...input(), actor: undefined as any }, 'actor'],
      ['no action', { ...input(), action: undefined as any }, 'action'],
      ['no orgId', { ...input(), orgId: undefined as any }, 'orgId'],
      ['an unknown action', input({ action: 'user_teleported' }), 'action', 'unknown_action'],
      [
        'a 1 MB actor name',
        input({ actor: { id: 'u-1', type: 'user', name: 'x'.repeat(1 << 20) } }),
        'actor.name',
      ],
      [
        'a 1 MB group name',
        input({ targets: [{ id: 'g-1', type: 'group', name: 'x'.repeat(1 << 20) }] }),
        'targets[0].name',
      ],
      [
        'metadata 9 levels deep',
        input({ metadata: nested(9) }),
        'metadata.child.child.child.child.child.child.child.child',
      ],
      ['metadata over 16 KiB', input({ metadata: { blob: 'x'.repeat(16 * 1024) } }), 'metadata'],
      [
        'a lone surrogate in a name',
        input({ actor: { id: 'u-1', type: 'user', name: 'Jane \uD800' } }),
        'actor.name',
      ],
      ['a lone surrogate in metadata', input({ metadata: { note: '\uDFFF' } }), 'metadata.note'],
      [
        'a NUL in a name',
        input({ targets: [{ id: 'u-9', type: 'user', name: 'Bob\u0000Li' }] }),
        'targets[0].name',
      ],
      ['a bad ip', input({ location: { ip: '999.0.0.1' } }), 'location.ip'],
      ['a bad time', input({ time: 'last tuesday' }), 'time'],
      ['a time far in the future', input({ time: NOW + 7 * 24 * 3600 * 1000 }), 'time'],
    ];

    it.each(bad)('%s', async (_name, event, field, code = 'invalid_field') => {
      const before = [await total(), await totalTerms()];
      const err = await audit.record(event).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuditValidationError);
      expect(err).toMatchObject({ field, code });
      expect((err as Error).message).toContain(field);
      expect([await total(), await totalTerms()]).toEqual(before);
    });

    it('while valid events recorded at the same moment are stored, seq gap-free', async () => {
      const orgId = 'mixed';
      const results = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) =>
          audit.record(
            input({ orgId, targets: [{ id: `g-${i}`, type: 'group', name: `group ${i}` }] }),
          ),
        ),
        ...bad.map(([, event]) =>
          audit.record({ ...event, orgId: event.orgId === undefined ? undefined! : orgId }),
        ),
      ]);
      expect(results.slice(0, 20).every((r) => r.status === 'fulfilled')).toBe(true);
      const rejected = results.slice(20);
      expect(
        rejected.every((r) => r.status === 'rejected' && r.reason instanceof AuditValidationError),
      ).toBe(true);
      const stored = await rows(orgId);
      expect(stored).toHaveLength(20);
      expect(stored.map((r: any) => Number(r.seq))).toEqual(
        stored.map((_: unknown, i: number) => i + 1),
      );
    });
  });
});
