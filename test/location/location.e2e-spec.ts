import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditLogModule, AuditService, auditDataSourceOptions } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { dbIpLocationResolver, DbIpLocationResolver } from '@auditkit/nestjs/location';
import { IntegrityService } from '../../libs/audit-log/src/integrity/integrity.service';
import { AuditKitLocation1766000000000 } from '../../libs/audit-log/src/store/migrations/1766000000000-location';
import { SECRET, tokenFor } from '../api/api-harness';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';

// Location end to end, on a database that already holds events: the migration adds the columns
// to a populated table, old events keep verifying and have no location, new ones are resolved
// at record time (through the library and the HTTP ingest), read back, and filtered on in SQL.

const PATH = '/admin/v1/orgs/acme/events';

async function boot(url: string, resolve?: DbIpLocationResolver): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      AuditLogModule.forRoot({
        isGlobal: true,
        databaseUrl: url,
        location: resolve ? { resolve } : undefined,
      }),
      AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.init();
  return app;
}

describe.each(DATABASES)('event locations on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  let app: INestApplication;
  let resolve: DbIpLocationResolver;
  let reader: string;
  const list = async (query: string) =>
    (
      await request(app.getHttpServer())
        .get(`${PATH}?limit=1000${query}`)
        .set('Authorization', `Bearer ${reader}`)
        .expect(200)
    ).body.data;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    // The install before this release: events with IPs, written with every older migration.
    const old = await boot(db.url);
    const audit = old.get(AuditService);
    for (let i = 0; i < 3; i++)
      await audit.record({ ...groupCreated('acme', `old-${i}`), location: { ip: '8.8.8.8' } });
    await old.close();
    const qr = ds.createQueryRunner();
    await new AuditKitLocation1766000000000().down(qr);
    await qr.release();
    await ds.query("DELETE FROM auditkit_migrations WHERE name = 'AuditKitLocation1766000000000'");
    expect((await ds.query('SELECT * FROM auditkit_events'))[0]).not.toHaveProperty('city');

    resolve = dbIpLocationResolver();
    app = await boot(db.url, resolve);
    reader = await tokenFor({ acme: ['org-admin'] });
  });

  afterAll(async () => {
    await app?.close();
    resolve?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('resolves new events at record time, through the library and the HTTP ingest', async () => {
    const audit = app.get(AuditService);
    const stored = await audit.record({
      ...groupCreated('acme', 'sydney'),
      location: { ip: '1.1.1.1', userAgent: 'curl/8' },
    });
    expect(stored.location).toMatchObject({
      ip: '1.1.1.1',
      userAgent: 'curl/8',
      countryName: 'Australia',
      regionName: 'New South Wales',
    });
    await audit.record({ ...groupCreated('acme', 'private'), location: { ip: '10.1.2.3' } });
    const writer = await tokenFor({ acme: ['site-admin'] }, { scope: 'events:write' });
    const res = await request(app.getHttpServer())
      .post(PATH)
      .set('Authorization', `Bearer ${writer}`)
      .send({
        action: 'group_created',
        actor: { id: 'u-2' },
        targets: [{ id: 'g-h', type: 'group', name: 'hanover' }],
        location: { ip: '193.99.144.80' },
      })
      .expect(201);
    expect(res.body.data.attributes.location).toMatchObject({
      ip: '193.99.144.80',
      countryName: 'Germany',
      regionName: 'Lower Saxony',
    });
    const rows = await ds.query(
      'SELECT ip, country_name, region_name, city FROM auditkit_events ORDER BY seq',
    );
    expect(rows.map((r: { country_name: string | null }) => r.country_name)).toEqual([
      null,
      null,
      null,
      'Australia',
      null,
      'Germany',
    ]);
  });

  it('serves the fields on GET events and the single event, with geo; old events have none', async () => {
    const events = await list('');
    const sydney = events.find(
      (e: { attributes: { location: { ip?: string } } }) => e.attributes.location.ip === '1.1.1.1',
    );
    const city = sydney.attributes.location.city;
    expect(city).toEqual(expect.any(String));
    expect(sydney.attributes.location.geo).toBe(`${city}, New South Wales, Australia`);
    const one = await request(app.getHttpServer())
      .get(`${PATH}/${sydney.id}`)
      .set('Authorization', `Bearer ${reader}`)
      .expect(200);
    expect(one.body.data.attributes.location).toEqual(sydney.attributes.location);
    const old = events.filter((e: { attributes: { seq: number } }) => e.attributes.seq <= 3);
    expect(old.map((e: { attributes: { location: unknown } }) => e.attributes.location)).toEqual(
      new Array(3).fill({ ip: '8.8.8.8' }),
    );
  });

  it("filters with Atlassian's location parameter", async () => {
    const seqs = async (location: unknown) =>
      (await list(`&location=${encodeURIComponent(JSON.stringify(location))}`)).map(
        (e: { attributes: { seq: number } }) => e.attributes.seq,
      );
    expect(await seqs([{ countryName: 'Australia' }])).toEqual([4]);
    expect(await seqs([{ countryName: 'Germany', regionName: 'Lower Saxony' }])).toEqual([6]);
    expect(await seqs([{ countryName: 'Australia' }, { regionName: 'Lower Saxony' }])).toEqual([
      6, 4,
    ]);
    expect(await seqs({ countryName: 'United States' })).toEqual([]);
    expect(await seqs([{ countryName: 'germany' }])).toEqual([]);
    const bad = await request(app.getHttpServer())
      .get(`${PATH}?location=Germany`)
      .set('Authorization', `Bearer ${reader}`)
      .expect(400);
    expect(JSON.stringify(bad.body)).toMatch(/location/);
  });

  it('keeps the location filter in its cursors: page 2 of a cursor alone is still filtered', async () => {
    const audit = app.get(AuditService);
    for (let i = 0; i < 4; i++)
      await audit.record({ ...groupCreated('acme', `syd-${i}`), location: { ip: '1.1.1.1' } });
    const location = encodeURIComponent(JSON.stringify([{ countryName: 'Australia' }]));
    const get = (q: string) =>
      request(app.getHttpServer()).get(`${PATH}?${q}`).set('Authorization', `Bearer ${reader}`);
    const seen: string[] = [];
    let res = await get(`location=${location}&limit=2`).expect(200);
    for (;;) {
      seen.push(
        ...res.body.data.map(
          (e: { attributes: { location: { countryName?: string } } }) =>
            e.attributes.location.countryName,
        ),
      );
      if (!res.body.meta.next) break;
      res = await get(`cursor=${encodeURIComponent(res.body.meta.next)}`).expect(200);
    }
    expect(seen).toEqual(new Array(5).fill('Australia'));
    // Sent again with its cursor, the same list (in any order) is fine; another is a conflict.
    const first = await get(`location=${location}&limit=2`).expect(200);
    const cursor = encodeURIComponent(first.body.meta.next);
    await get(`cursor=${cursor}&location=${location}`).expect(200);
    const other = encodeURIComponent(JSON.stringify([{ countryName: 'Germany' }]));
    const clash = await get(`cursor=${cursor}&location=${other}`).expect(400);
    expect(clash.body.errors[0]).toMatchObject({
      code: 'cursor_conflict',
      source: { parameter: 'location' },
    });
  });

  it('walks the location index for one country or city on MariaDB', async () => {
    if (kind !== 'mariadb') return;
    const plan = await ds.query(
      "EXPLAIN SELECT e.* FROM auditkit_events e FORCE INDEX (idx_auditkit_events_org_city_time) WHERE e.org_id = 'acme' AND (e.country_name = 'Germany' AND e.city = 'Hanover') ORDER BY e.occurred_at DESC, e.id DESC LIMIT 10",
    );
    expect(plan[0].key).toBe('idx_auditkit_events_org_city_time');
    expect(String(plan[0].Extra ?? '')).not.toMatch(/filesort/);
  });

  it('keeps every chain verifying; location is derived data, outside the hash', async () => {
    const integrity = app.get(IntegrityService);
    expect(await integrity.verify('acme')).toMatchObject({ ok: true, checked: 10 });
    // Documented: a location column is not tamper-evident (docs/events.md, Location)...
    await ds.query("UPDATE auditkit_events SET city = 'Elsewhere' WHERE seq = 4");
    expect(await integrity.verify('acme')).toMatchObject({ ok: true, checked: 10 });
    // ...while the IP it came from is.
    await ds.query("UPDATE auditkit_events SET ip = '9.9.9.9' WHERE seq = 4");
    expect((await integrity.verify('acme')).problems[0]).toMatchObject({ seq: 4 });
  });
});
