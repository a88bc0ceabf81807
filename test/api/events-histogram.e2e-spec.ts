import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AuditEvent,
  AuditEventInput,
  auditDataSourceOptions,
  AuditLogModule,
  auditLogMigrations,
  AuditService,
  BUILTIN_ACTIONS,
  IntegrityService,
} from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { AuditRetentionModule, RetentionService } from '@auditkit/nestjs/retention';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { ed25519Pem } from '../integrity/support/integrity-fixture';
import { getWith, prng, qs, SECRET, tokenFor } from './api-harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CATEGORIES = [
  'site_product_users',
  'groups',
  'organization',
  'security_policies',
  'user_accounts',
];
const ACTION_OF = Object.fromEntries(
  CATEGORIES.map((c) => [c, BUILTIN_ACTIONS.find((a) => a.category === c)!.id]),
);
const ACTORS = ['u-1', 'u-2', 'u-3'];

interface Bucket {
  start: string;
  end: string;
  total: number;
  byCategory: Record<string, number>;
}

// The histogram against a brute-force count of the events the test recorded: every bucket, on
// the rollup path and on the events path, before and after a purge.

describe.each(DATABASES)('GET events-histogram (%s)', (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  let server: Server;
  let audit: AuditService;
  let retention: RetentionService;
  let raw: DataSource;
  let token: string;
  const stored: AuditEvent[] = [];
  // Whole hours from here, so the ranges below start mid-hour on purpose.
  const now = Math.floor(Date.now() / HOUR) * HOUR - 7 * 60_000;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({
          isGlobal: true,
          databaseUrl: db.url,
          integrity: { signingKey: ed25519Pem().privateKey, schedule: false },
        }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
        AuditRetentionModule.forRoot({ schedule: false, retentionDays: 35, batchSize: 40 }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    server = app.getHttpServer();
    audit = app.get(AuditService);
    retention = app.get(RetentionService);
    raw = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    token = await tokenFor({ acme: ['org-admin'] });

    // 600 events of acme over 40 days, in time order (the purge takes a prefix of the chain),
    // written in concurrent groups so batches span several hours and categories.
    const rand = prng(7);
    // A quiet spell 10 to 13 days ago, so that some days are empty.
    const times = Array.from({ length: 600 }, () => {
      const ago = Math.floor(rand() * 37 * DAY);
      return now - (ago < 10 * DAY ? ago : ago + 3 * DAY);
    }).sort((a, b) => a - b);
    const inputs: AuditEventInput[] = times.map((time, i) => {
      const category = CATEGORIES[Math.floor(rand() * CATEGORIES.length)];
      return {
        orgId: 'acme',
        action: ACTION_OF[category],
        actor: { id: ACTORS[i % 3], type: 'user', name: `User ${i % 3}` },
        targets: [{ id: 'u-9', type: 'user', name: i % 5 === 0 ? 'Bob Li' : 'Ann Lee' }],
        location: { ip: i % 2 ? '203.0.113.7' : '198.51.100.1' },
        time,
      };
    });
    for (let i = 0; i < inputs.length; i += 50)
      stored.push(...(await Promise.all(inputs.slice(i, i + 50).map((e) => audit.record(e)))));
    // Another org's events must never show in acme's counts.
    await Promise.all(
      times.slice(0, 40).map((time) =>
        audit.record({
          orgId: 'globex',
          action: ACTION_OF.groups,
          actor: { id: 'u-1', type: 'user' },
          time,
        }),
      ),
    );
  });

  afterAll(async () => {
    await app?.close();
    await raw?.destroy();
    await db?.drop();
  });

  /** The buckets a brute-force count of `events` gives. */
  function expected(
    events: AuditEvent[],
    from: number,
    to: number,
    width: number,
    offsetMinutes = 0,
    categories = CATEGORIES,
  ): Bucket[] {
    const offset = offsetMinutes * 60_000;
    const first = Math.floor((from + offset) / width) * width - offset;
    const last = Math.floor((to + offset) / width) * width - offset;
    const buckets: Bucket[] = [];
    for (let s = first; s <= last; s += width) {
      buckets.push({
        start: new Date(s).toISOString(),
        end: new Date(s + width).toISOString(),
        total: 0,
        byCategory: Object.fromEntries(categories.map((c) => [c, 0])),
      });
    }
    for (const e of events) {
      const t = Date.parse(e.time);
      if (t < from || t > to || !categories.includes(e.category)) continue;
      const b = buckets[Math.floor((t - first) / width)];
      b.total++;
      b.byCategory[e.category]++;
    }
    return buckets;
  }

  const histogram = (params: [string, string | number][], as = token) =>
    getWith(server, as, `/admin/v1/orgs/acme/events-histogram${qs(params)}`);

  it('counts every day of a range on the rollup, empty days included, edges cut at from and to', async () => {
    const from = now - 30 * DAY + 17 * 60_000;
    const to = now - 2 * DAY - 5 * 60_000;
    const res = await histogram([
      ['from', from],
      ['to', to],
      ['interval', 'day'],
    ]).expect(200);
    expect(res.body.meta).toEqual({
      interval: 'day',
      utcOffset: '+00:00',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      total: expected(stored, from, to, DAY).reduce((n, b) => n + b.total, 0),
      source: 'rollup',
      categories: [
        { id: 'site_product_users', displayName: 'Site and product users' },
        { id: 'groups', displayName: 'Groups' },
        { id: 'organization', displayName: 'Organization' },
        { id: 'security_policies', displayName: 'Security policies' },
        { id: 'user_accounts', displayName: 'User accounts' },
      ],
    });
    expect(res.body.data).toEqual(expected(stored, from, to, DAY));
    expect(res.body.data.some((b: Bucket) => b.total === 0)).toBe(true);
  });

  it('counts hours, a category, and whole-hour offsets on the rollup', async () => {
    const from = now - 3 * DAY + 31 * 60_000;
    const to = now - DAY + 59 * 60_000;
    const hours = await histogram([
      ['from', new Date(from).toISOString()],
      ['to', new Date(to).toISOString()],
    ]).expect(200);
    expect(hours.body.meta).toMatchObject({ interval: 'hour', source: 'rollup' });
    expect(hours.body.data).toEqual(expected(stored, from, to, HOUR));

    const groups = await histogram([
      ['from', from],
      ['to', to],
      ['category', 'groups'],
      ['interval', 'day'],
      ['utcOffset', '-05:00'],
    ]).expect(200);
    expect(groups.body.meta).toMatchObject({
      source: 'rollup',
      utcOffset: '-05:00',
      categories: [{ id: 'groups', displayName: 'Groups' }],
    });
    expect(groups.body.data).toEqual(expected(stored, from, to, DAY, -300, ['groups']));
  });

  it('groups the matching events for other filters and part-hour offsets', async () => {
    const from = now - 20 * DAY;
    const to = now;
    const cases: [[string, string | number][], (e: AuditEvent) => boolean, number][] = [
      [[['actor', 'u-2']], (e) => e.actor.id === 'u-2', 0],
      [[['actor', 'u-1,u-3']], (e) => e.actor.id !== 'u-2', 0],
      [[['ip', '203.0.113.7']], (e) => e.location?.ip === '203.0.113.7', 0],
      [[['q', 'bob li']], (e) => e.targets[0].name === 'Bob Li', 0],
      [[['action', ACTION_OF.organization]], (e) => e.category === 'organization', 0],
      [[['utcOffset', '+05:30']], () => true, 330],
      // No location resolver here: no event has one.
      [[['location', '[{"countryName":"Germany"}]']], () => false, 0],
    ];
    for (const [params, match, offset] of cases) {
      const res = await histogram([
        ['from', from],
        ['to', to],
        ['interval', 'day'],
        ...params,
      ]).expect(200);
      expect(res.body.meta.source).toBe('events');
      expect(res.body.data).toEqual(expected(stored.filter(match), from, to, DAY, offset));
    }
  });

  it('answers a range at the start of time, where buckets start before it', async () => {
    for (const offset of ['+05:30', '+02:00']) {
      const res = await histogram([
        ['from', 0],
        ['to', 5 * HOUR],
        ['utcOffset', offset],
      ]).expect(200);
      expect(res.body.data).toHaveLength(6);
      expect(res.body.meta.total).toBe(0);
    }
  });

  it('defaults to the 30 days up to now, by day', async () => {
    const res = await histogram([]).expect(200);
    expect(res.body.meta.interval).toBe('day');
    expect(res.body.data.length).toBeGreaterThanOrEqual(30);
    expect(res.body.data.length).toBeLessThanOrEqual(31);
    const to = Date.parse(res.body.meta.to);
    expect(Date.parse(res.body.meta.from)).toBe(to - 30 * DAY + 1);
    expect(res.body.meta.total).toBe(
      stored.filter((e) => Date.parse(e.time) >= to - 30 * DAY + 1).length,
    );
  });

  it.each([
    [[['interval', 'week']], 'interval', 'interval must be hour or day'],
    [
      [
        ['from', '2026-01-01'],
        ['to', '2026-03-01'],
        ['interval', 'hour'],
      ],
      'interval',
      'makes 1417 hour buckets',
    ],
    [
      [
        ['from', '2020-01-01'],
        ['to', '2026-01-01'],
      ],
      'from',
      'day buckets',
    ],
    [[['utcOffset', '+25:00']], 'utcOffset', 'utcOffset must be a UTC offset'],
    [[['utcOffset', '+01:10']], 'utcOffset', 'utcOffset must be a UTC offset'],
    [[['utcOffset', '0200']], 'utcOffset', 'utcOffset must be a UTC offset'],
    [[['category', 'nope']], 'category', 'category must be one of'],
    [[['from', '2026-02-31']], 'from', 'from is not a valid date-time'],
    [
      [
        ['from', '2026-03-02'],
        ['to', '2026-03-01'],
      ],
      'from',
      'from must not be after to',
    ],
    [[['limit', '5']], 'limit', 'limit'],
  ] as [[string, string][], string, string][])(
    '%j is a 400 naming %s',
    async (params, parameter, detail) => {
      const res = await histogram(params.map(([k, v]) => [k, v])).expect(400);
      expect(res.body.errors[0].source).toEqual({ parameter });
      expect(res.body.errors[0].detail).toContain(detail);
    },
  );

  it('answers 401 without a token, 403 for another org or a role that cannot read', async () => {
    await request(server).get('/admin/v1/orgs/acme/events-histogram').expect(401);
    await histogram([], await tokenFor({ globex: ['org-admin'] })).expect(403);
    await histogram([], await tokenFor({ acme: ['site-admin'] })).expect(403);
    // globex's own admin sees only globex's events.
    const globex = await getWith(
      server,
      await tokenFor({ globex: ['org-admin'] }),
      `/admin/v1/orgs/globex/events-histogram${qs([
        ['from', now - 40 * DAY],
        ['to', now],
      ])}`,
    ).expect(200);
    expect(globex.body.meta.total).toBe(40);
  });

  it('keeps the rollup equal to the events through a purge, and the chain verifiable', async () => {
    const rollupRows = async () =>
      (
        await raw.query(
          'SELECT org_id, hour_start, category, events FROM auditkit_activity_rollup ORDER BY org_id, hour_start, category',
        )
      ).map((r: Record<string, unknown>) => ({
        ...r,
        hour_start: Number(r.hour_start),
        events: Number(r.events),
      }));
    const fromEvents = async () =>
      (
        await raw.query(
          kind === 'sqlite'
            ? 'SELECT org_id, occurred_at / 3600000 * 3600000 AS hour_start, category, COUNT(*) AS events FROM auditkit_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3'
            : 'SELECT org_id, occurred_at DIV 3600000 * 3600000 AS hour_start, category, COUNT(*) AS events FROM auditkit_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
        )
      ).map((r: Record<string, unknown>) => ({
        ...r,
        hour_start: Number(r.hour_start),
        events: Number(r.events),
      }));
    expect(await rollupRows()).toEqual(await fromEvents());

    const results = await retention.purge({ now: new Date(now) });
    const purged = results.find((r) => r.orgId === 'acme')!;
    expect(purged.events).toBeGreaterThan(0);
    const left = stored.filter((e) => Date.parse(e.time) >= now - 35 * DAY);
    expect(purged.events).toBe(stored.length - left.length);
    expect(await rollupRows()).toEqual(await fromEvents());
    const from = now - 40 * DAY;
    const res = await histogram([
      ['from', from],
      ['to', now],
      ['interval', 'day'],
    ]).expect(200);
    expect(res.body.meta.source).toBe('rollup');
    expect(res.body.data).toEqual(expected(left, from, now, DAY));
    const report = await app.get(IntegrityService).verify('acme');
    expect(report).toMatchObject({ ok: true });
  });

  it('fills the rollup from the stored events when the migration runs', async () => {
    const before = await raw.query(
      'SELECT org_id, hour_start, category, events FROM auditkit_activity_rollup ORDER BY 1, 2, 3',
    );
    await raw.query('DELETE FROM auditkit_activity_rollup');
    const Rollup = auditLogMigrations.find(
      (M) => new M().name === 'AuditKitActivityRollup1769000000000',
    )!;
    const qr = raw.createQueryRunner();
    try {
      await new Rollup().up(qr);
    } finally {
      await qr.release();
    }
    expect(
      await raw.query(
        'SELECT org_id, hour_start, category, events FROM auditkit_activity_rollup ORDER BY 1, 2, 3',
      ),
    ).toEqual(before);
  });
});
