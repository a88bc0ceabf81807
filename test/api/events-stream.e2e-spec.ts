import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AuditEvent,
  AuditEventInput,
  AuditLogModule,
  AuditService,
  auditDataSourceOptions,
} from '@auditkit/nestjs';
import {
  ApiExceptionFilter,
  AuditAdminModule,
  AuditAdminModuleOptions,
} from '@auditkit/nestjs/admin';
import { loadConfig } from '../../apps/admin/src/config';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { getWith, SECRET, tokenFor } from './api-harness';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 9, 1);
const STREAM = (org: string) => `/admin/v1/orgs/${org}/events-stream`;
const ORGS = ['acme', 'fresh', 'desc', 'race', 'limits'] as const;
const ADMIN_OF_ALL = Object.fromEntries(ORGS.map((o) => [o, ['org-admin']]));

/** The admin API with its own rate-limit options, on a fresh database. */
async function boot(
  db: TestDatabase,
  rateLimit?: AuditAdminModuleOptions['rateLimit'],
): Promise<{ app: INestApplication; server: Server; audit: AuditService }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
      AuditAdminModule.forRoot({ jwt: { secret: SECRET }, rateLimit }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.init();
  return { app, server: app.getHttpServer(), audit: app.get(AuditService) };
}

const groupCreated = (orgId: string, name: string, time?: number): AuditEventInput => ({
  orgId,
  action: 'group_created',
  actor: { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' },
  targets: [{ id: `g-${name}`, type: 'group', name }],
  ...(time === undefined ? {} : { time }),
});

type Page = {
  data: { id: string; attributes: { seq: number; time: string; processedAt: string } }[];
  meta: { next: string; page_size: number };
  links: { self: string; next: string };
};

const seqsOf = (page: Page) => page.data.map((d) => d.attributes.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(DATABASES)('GET events-stream on %s', (kind) => {
  let db: TestDatabase;
  let server: Server;
  let app: INestApplication;
  let audit: AuditService;
  let reader: DataSource;
  let token: string;
  // Seqs of acme's 520 events, with times shuffled so that time order is not seq order.
  const acme: AuditEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ({ app, server, audit } = await boot(db, { perToken: { stream: false } }));
    reader = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    token = await tokenFor(ADMIN_OF_ALL, { sub: 'u-stream' });
    // In batches, one after another, so that seq order is the batch order.
    for (let b = 0; b < 4; b++) {
      const batch = await Promise.all(
        range(b * 130, b * 130 + 129).map((i) =>
          audit.record(groupCreated('acme', `a-${i}`, T0 + ((i * 7919) % 520) * MINUTE)),
        ),
      );
      acme.push(...batch);
    }
    acme.sort((a, b) => a.seq - b.seq);
    await audit.record(groupCreated('desc', 'other-org-noise'));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await reader?.destroy();
    await db?.drop();
  });

  const get = (path: string, t = token) => getWith(server, t, path);

  it('pages in ascending seq order by default, 200 a page, with processedAt from the store', async () => {
    const res = await get(STREAM('acme')).expect(200);
    const page = res.body as Page;
    expect(page.meta.page_size).toBe(200);
    expect(seqsOf(page)).toEqual(range(1, 200));
    expect(page.data.map((d) => d.id)).toEqual(acme.slice(0, 200).map((e) => e.id));
    // Time order is not processing order here: the stream follows seq, not time.
    const times = page.data.map((d) => d.attributes.time);
    expect([...times].sort()).not.toEqual(times);
    const stored: { id: string; recorded_at: string | number }[] = await reader.query(
      'SELECT id, recorded_at FROM auditkit_events WHERE org_id = ? ORDER BY seq LIMIT 200',
      ['acme'],
    );
    expect(page.data.map((d) => d.attributes.processedAt)).toEqual(
      stored.map((r) => new Date(Number(r.recorded_at)).toISOString()),
    );
    expect(page.links.self).toBe(STREAM('acme'));
    expect(page.links.next).toBe(`${STREAM('acme')}?cursor=${encodeURIComponent(page.meta.next)}`);
  });

  it('follows links.next (the cursor alone) through the whole org, then stays put', async () => {
    const seen: number[] = [];
    let url = `${STREAM('acme')}?limit=150`;
    let last: Page | undefined;
    for (let i = 0; i < 10; i++) {
      last = (await get(url).expect(200)).body as Page;
      seen.push(...seqsOf(last));
      url = last.links.next;
      if (!last.data.length) break;
    }
    expect(seen).toEqual(range(1, 520));
    expect(last!.data).toEqual([]);
    expect(last!.links.next).toContain('limit=150');
  });

  it('takes limit up to 500 and names limit in a 400 past it', async () => {
    const max = (await get(`${STREAM('acme')}?limit=500`).expect(200)).body as Page;
    expect(seqsOf(max)).toEqual(range(1, 500));
    for (const bad of ['501', '0', 'ten', '-1']) {
      const res = await get(`${STREAM('acme')}?limit=${bad}`).expect(400);
      expect(res.body.errors[0]).toMatchObject({
        code: 'invalid_parameter',
        source: { parameter: 'limit' },
      });
      expect(res.body.errors[0].detail).toBe('limit must be a whole number from 1 to 500');
    }
  });

  it('sorts descending on request, and the order is kept in the cursor', async () => {
    const first = (await get(`${STREAM('acme')}?sortOrder=desc&limit=300`).expect(200))
      .body as Page;
    expect(seqsOf(first)).toEqual(range(221, 520).reverse());
    const second = (
      await get(`${STREAM('acme')}?cursor=${encodeURIComponent(first.meta.next)}`).expect(200)
    ).body as Page;
    expect(seqsOf(second)).toEqual(range(21, 220).reverse());
    expect(second.meta.page_size).toBe(200);
    const third = (await get(second.links.next).expect(200)).body as Page;
    expect(seqsOf(third)).toEqual(range(1, 20).reverse());
  });

  it('filters on the event time with from and to (inclusive), in seq order, kept in the cursor', async () => {
    const from = T0 + 100 * MINUTE;
    const to = T0 + 299 * MINUTE;
    const expected = acme
      .filter((e) => Date.parse(e.time) >= from && Date.parse(e.time) <= to)
      .map((e) => e.seq);
    expect(expected).toHaveLength(200);
    const first = (
      await get(`${STREAM('acme')}?from=${from}&to=${new Date(to).toISOString()}&limit=120`).expect(
        200,
      )
    ).body as Page;
    const second = (await get(first.links.next).expect(200)).body as Page;
    expect([...seqsOf(first), ...seqsOf(second)]).toEqual(expected);
    expect(first.data).toHaveLength(120);
    const bad = await get(`${STREAM('acme')}?from=${to}&to=${from}`).expect(400);
    expect(bad.body.errors[0].source).toEqual({ parameter: 'from' });
  });

  it('an empty poll gives a cursor that later returns exactly what is new, in both orders', async () => {
    for (const sortOrder of ['asc', 'desc'] as const) {
      const org = sortOrder === 'asc' ? 'fresh' : 'desc';
      const base = (await reader.query(
        'SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = ?',
        [org],
      )) as { n: number | string }[];
      const before = Number(base[0].n);
      let page = (await get(`${STREAM(org)}?sortOrder=${sortOrder}`).expect(200)).body as Page;
      expect(page.data).toHaveLength(before);
      page = (await get(page.links.next).expect(200)).body as Page;
      expect(page.data).toEqual([]);
      page = (await get(page.links.next).expect(200)).body as Page;
      expect(page.data).toEqual([]);

      const added: AuditEvent[] = [];
      for (const name of ['n-1', 'n-2', 'n-3'])
        added.push(await audit.record(groupCreated(org, name)));
      const fresh = (await get(page.links.next).expect(200)).body as Page;
      const ids = added.map((e) => e.id);
      expect(fresh.data.map((d) => d.id)).toEqual(sortOrder === 'asc' ? ids : [...ids].reverse());
      const after = (await get(fresh.links.next).expect(200)).body as Page;
      expect(after.data).toEqual([]);
    }
  });

  it('a descending walk interrupted by new events still yields each event once', async () => {
    const start = Number(
      (
        await reader.query('SELECT MAX(seq) AS m FROM auditkit_events WHERE org_id = ?', ['desc'])
      )[0].m,
    );
    for (let i = 0; i < 5; i++) await audit.record(groupCreated('desc', `w-${i}`));
    let page = (await get(`${STREAM('desc')}?sortOrder=desc&limit=2`).expect(200)).body as Page;
    const seen = [...seqsOf(page)];
    // Commits between pages of the walk: they come after it, newest first.
    for (let i = 0; i < 3; i++) await audit.record(groupCreated('desc', `x-${i}`));
    for (let i = 0; i < 10 && page.data.length; i++) {
      page = (await get(page.links.next).expect(200)).body as Page;
      seen.push(...seqsOf(page));
    }
    // The walk of seq 1..start+5, then the next walk of the 3 added during it.
    expect(seen).toEqual([
      ...range(1, start + 5).reverse(),
      ...range(start + 6, start + 8).reverse(),
    ]);
  });

  it('a poller keeping its cursor while writers commit sees every event once, in seq order', async () => {
    const WRITERS = 8;
    const PER_WRITER = 40;
    const recorded: AuditEvent[] = [];
    let writing = true;
    const writers = Promise.all(
      range(1, WRITERS).map(async (w) => {
        for (let i = 0; i < PER_WRITER; i += 4) {
          // Several at once per writer: they share group commits, across transactions.
          const batch = await Promise.all(
            range(i, i + 3).map((j) => audit.record(groupCreated('race', `r-${w}-${j}`))),
          );
          recorded.push(...batch);
        }
      }),
    ).finally(() => {
      writing = false;
    });
    const seen: Page['data'] = [];
    let url = `${STREAM('race')}?limit=7`;
    let polls = 0;
    let pollsWhileWriting = 0;
    // Poll until the writers are done and one more poll comes back empty.
    for (;;) {
      const done = !writing;
      const page = (await get(url).expect(200)).body as Page;
      polls += 1;
      if (writing) pollsWhileWriting += 1;
      seen.push(...page.data);
      url = page.links.next;
      if (done && !page.data.length) break;
      expect(polls).toBeLessThan(2000);
    }
    await writers;
    expect(recorded).toHaveLength(WRITERS * PER_WRITER);
    // Every event exactly once, in seq order, with no gap.
    expect(seen.map((d) => d.attributes.seq)).toEqual(range(1, WRITERS * PER_WRITER));
    expect(new Set(seen.map((d) => d.id))).toEqual(new Set(recorded.map((e) => e.id)));
    // The cursor was taken back while commits went on (else nothing concurrent was tested).
    expect(pollsWhileWriting).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('refuses a forged cursor, one of another org, and one of GET events, with 400', async () => {
    const page = (await get(`${STREAM('acme')}?limit=1`).expect(200)).body as Page;
    const cursor = page.meta.next;
    const [body, sig] = cursor.split('.');
    const flipped = `${body}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const forgedBody = Buffer.from(
      JSON.stringify(
        JSON.parse(Buffer.from(body, 'base64url').toString()).map((v: unknown, i: number) =>
          i === 1 ? 400 : v,
        ),
      ),
    ).toString('base64url');
    const eventsCursor = (await get('/admin/v1/orgs/acme/events?limit=1').expect(200)).body.meta
      .next as string;
    const cases = [
      ['signature changed', 'acme', flipped],
      ['body changed', 'acme', `${forgedBody}.${sig}`],
      ['not a cursor', 'acme', 'garbage'],
      ['of another org', 'fresh', cursor],
      ['of GET events', 'acme', eventsCursor],
    ] as const;
    const answers = [];
    for (const [what, org, bad] of cases) {
      const res = await get(`${STREAM(org)}?cursor=${encodeURIComponent(bad)}`);
      answers.push({ what, status: res.status, source: res.body.errors?.[0]?.source });
    }
    expect(answers).toEqual(
      cases.map(([what]) => ({ what, status: 400, source: { parameter: 'cursor' } })),
    );
    // Still the right one works.
    await get(`${STREAM('acme')}?cursor=${encodeURIComponent(cursor)}`).expect(200);
  });

  it('with a cursor, a sortOrder, from or to other than its own is a 400; the same one is fine', async () => {
    const page = (await get(`${STREAM('acme')}?limit=1&from=${T0}`).expect(200)).body as Page;
    const c = encodeURIComponent(page.meta.next);
    for (const [param, value] of [
      ['sortOrder', 'desc'],
      ['from', String(T0 + 1)],
      ['to', String(T0 + MINUTE)],
    ]) {
      const res = await get(`${STREAM('acme')}?cursor=${c}&${param}=${value}`).expect(400);
      expect(res.body.errors[0].source).toEqual({ parameter: param });
    }
    expect(seqsOf(page)).toEqual([1]);
    const same = (
      await get(`${STREAM('acme')}?cursor=${c}&sortOrder=asc&from=${T0}&limit=2`).expect(200)
    ).body as Page;
    expect(seqsOf(same)).toEqual([2, 3]);
  });

  it('refuses parameters the stream does not take, and a bad sortOrder', async () => {
    for (const q of [
      'action=group_created',
      'q=jane',
      'sortOrder=up',
      'sortOrder=asc&sortOrder=desc',
    ]) {
      const res = await get(`${STREAM('acme')}?${q}`).expect(400);
      expect(res.body.errors[0].code).toMatch(/^(invalid_parameter|unknown_field)$/);
    }
  });

  it('needs a token (401) and org-admin of that org (403)', async () => {
    await request(server).get(STREAM('acme')).expect(401);
    const outsider = await tokenFor({ globex: ['org-admin'] }, { sub: 'u-out' });
    const res = await get(STREAM('acme'), outsider).expect(403);
    expect(JSON.stringify(res.body)).not.toContain('group_created');
    const member = await tokenFor({ acme: ['site-admin'] }, { sub: 'u-member' });
    await get(STREAM('acme'), member).expect(403);
  });
});

describe('rate limits of the read routes per token (MariaDB)', () => {
  let db: TestDatabase;
  const apps: INestApplication[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function expectLimited(res: request.Response) {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(res.body.errors[0]).toMatchObject({ status: '429', code: 'too_many_requests' });
  }

  async function signIn(server: Server, token: string): Promise<string> {
    const res = await request(server)
      .post('/admin/v1/session')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    return ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
  }

  it('limits each bearer token on both routes; another token of the same user, and the UI session, are counted apart', async () => {
    const { app, server } = await boot(db, {
      perToken: { stream: { limit: 3, windowMs: MINUTE }, events: { limit: 2, windowMs: MINUTE } },
    });
    apps.push(app);
    const a = await tokenFor({ limits: ['org-admin'] }, { sub: 'u-same' });
    // The same user, another token (another expiry).
    const b = await tokenFor({ limits: ['org-admin'] }, { sub: 'u-same', ttl: 7200 });
    expect(a).not.toBe(b);
    const stream = [];
    for (let i = 0; i < 4; i++) stream.push(await getWith(server, a, STREAM('limits')));
    expect(stream.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expectLimited(stream[3]);
    expect((await getWith(server, b, STREAM('limits'))).status).toBe(200);

    const events = [];
    for (let i = 0; i < 3; i++)
      events.push(await getWith(server, a, '/admin/v1/orgs/limits/events'));
    expect(events.map((r) => r.status)).toEqual([200, 200, 429]);
    expectLimited(events[2]);

    // The web UI's session is no bearer token: only the per-user `reads` limit (600) counts it.
    const cookie = await signIn(server, b);
    for (let i = 0; i < 6; i++) {
      await request(server).get('/admin/v1/orgs/limits/events').set('Cookie', cookie).expect(200);
      await request(server).get(STREAM('limits')).set('Cookie', cookie).expect(200);
    }
  });

  it('by default: 100 stream polls a minute per token, GET events not limited per token', async () => {
    const { app, server } = await boot(db, { reads: { limit: 1000, windowMs: MINUTE } });
    apps.push(app);
    const t = await tokenFor({ limits: ['org-admin'] }, { sub: 'u-default' });
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++)
      statuses.push((await getWith(server, t, STREAM('limits'))).status);
    expect(statuses).toEqual([...Array(100).fill(200), 429]);
    for (let i = 0; i < 120; i++) {
      await getWith(server, t, '/admin/v1/orgs/limits/events?limit=1').expect(200);
    }
  }, 60_000);

  it('the stream also counts against the per-user reads limit, apart from GET events', async () => {
    const { app, server } = await boot(db, {
      reads: { limit: 2, windowMs: MINUTE },
      perToken: { stream: false },
    });
    apps.push(app);
    const t = await tokenFor({ limits: ['org-admin'] }, { sub: 'u-reads' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await getWith(server, t, STREAM('limits'))).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await getWith(server, t, '/admin/v1/orgs/limits/events')).status).toBe(200);
  });

  it('the admin app reads the per-token limits from the environment, and refuses bad ones', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auditkit-stream-config-'));
    dirs.push(dataDir);
    const env = { AUDITKIT_DATA_DIR: dataDir, AUDITKIT_JWT_SECRET: SECRET };
    expect(
      loadConfig({
        ...env,
        AUDITKIT_TOKEN_READ_RATE_LIMIT: '10/m',
        AUDITKIT_TOKEN_STREAM_RATE_LIMIT: 'off',
      }).rateLimits,
    ).toMatchObject({ tokenReads: { limit: 10, windowMs: MINUTE }, tokenStream: false });
    for (const name of ['AUDITKIT_TOKEN_READ_RATE_LIMIT', 'AUDITKIT_TOKEN_STREAM_RATE_LIMIT']) {
      expect(() => loadConfig({ ...env, [name]: 'lots' })).toThrow(
        `${name} must look like 10/15m (requests per window of s, m, h or d, at most 30d) or off (got "lots")`,
      );
    }
  });
});
