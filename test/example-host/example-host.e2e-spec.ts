import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions } from '@auditkit/nestjs';
import { HOST_ACTIONS, recordDemoActivity } from '../../apps/example-host/src/demo-data';
import { configureExampleHost } from '../../apps/example-host/src/example-host.bootstrap';
import { ExampleHostModule } from '../../apps/example-host/src/example-host.module';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';

const ADMIN = {
  'x-user-id': 'root-1',
  'x-user-name': 'Root Admin',
  'x-user-email': 'root@initech.test',
};

describe.each(DATABASES)('example host on %s', (kind) => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [ExampleHostModule.forRoot({ databaseUrl: db.url })],
    }).compile();
    app = configureExampleHost(
      moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error', 'warn'] }),
    );
    await app.init();
    dataSource = new DataSource(auditDataSourceOptions(db.url));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await app?.close();
    await db?.drop();
  });

  const rows = (orgId: string): Promise<any[]> =>
    dataSource.query('SELECT * FROM auditkit_events WHERE org_id = ? ORDER BY seq', [orgId]);

  it('records every built-in host action through recordDemoActivity, one event per request', async () => {
    const summary = await recordDemoActivity(app.getHttpServer(), { orgId: 'acme', count: 60 });
    const events = await rows('acme');
    expect(events).toHaveLength(summary.requests);
    expect(events.every((e) => e.outcome === 'success')).toBe(true);
    const recorded = new Set(events.map((e) => e.action));
    expect([...recorded].sort()).toEqual(HOST_ACTIONS.map((a) => a.id).sort());
    const categories = new Set(events.map((e) => e.category));
    expect(categories).toEqual(
      new Set([
        'site_product_users',
        'groups',
        'organization',
        'security_policies',
        'user_accounts',
      ]),
    );
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));

    // Targets, site, product and client address come from the real requests.
    const added = events.find((e) => e.action === 'user_added_to_group');
    expect(JSON.parse(added.targets).map((t: any) => t.type)).toEqual(['user', 'group']);
    const granted = events.find((e) => e.action === 'user_granted_product_access');
    expect(granted.site_name).toBe('acme.atlassian.test');
    expect(['jira', 'confluence', 'bitbucket']).toContain(granted.product);
    expect(
      events.every((e) => /^(203\.0\.113|198\.51\.100|192\.0\.2)\.|^2001:db8:/.test(e.ip)),
    ).toBe(true);
    const renamed = events.find((e) => e.action === 'group_renamed');
    expect(JSON.parse(renamed.metadata).previousName).toEqual(expect.any(String));

    // Awkward names are stored exactly as given.
    const targets = events.flatMap((e) => JSON.parse(e.targets));
    expect(targets.some((t: any) => t.name === 'Zoë "Zed" O\'Neil 😀\nSupport desk')).toBe(true);
    expect(targets.some((t: any) => t.name?.startsWith('=HYPERLINK('))).toBe(true);
    expect(events.some((e) => e.actor_name?.startsWith('=HYPERLINK('))).toBe(true);
  });

  it('is deterministic: the same seed tells the same story for another organization', async () => {
    const summary = await recordDemoActivity(app.getHttpServer(), { orgId: 'globex', count: 60 });
    const [acme, globex] = [await rows('acme'), await rows('globex')];
    expect(globex.map((e) => e.action)).toEqual(acme.map((e) => e.action));
    expect(globex.map((e) => e.actor_name)).toEqual(acme.map((e) => e.actor_name));
    expect(summary.requests).toBe(globex.length);
  });

  it('refuses an organization that exists already', async () => {
    await expect(
      recordDemoActivity(app.getHttpServer(), { orgId: 'acme', count: 1 }),
    ).rejects.toThrow(/exists already/);
  });

  describe('validation', () => {
    const server = () => app.getHttpServer();

    beforeAll(async () => {
      await request(server()).put('/orgs/initech').set(ADMIN).send({ name: 'Initech' }).expect(200);
    });

    it('answers 400 naming the field, for missing, wrong and unknown fields', async () => {
      let res = await request(server())
        .post('/orgs/initech/groups')
        .set(ADMIN)
        .send({})
        .expect(400);
      expect(res.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^name /)]));
      res = await request(server())
        .post('/orgs/initech/groups')
        .set(ADMIN)
        .send({ name: 42 })
        .expect(400);
      expect(res.body.message).toContain('name must be a string');
      res = await request(server())
        .post('/orgs/initech/groups')
        .set(ADMIN)
        .send({ name: 'ok', admin: true })
        .expect(400);
      expect(res.body.message).toContain('property admin should not exist');
      res = await request(server())
        .post('/orgs/initech/users/invite')
        .set(ADMIN)
        .send({ email: 'not-an-email', siteId: 's-1' })
        .expect(400);
      expect(res.body.message).toContain('email must be an email');
      res = await request(server())
        .post('/orgs/initech/users/invite')
        .set(ADMIN)
        .send({ email: `${'a'.repeat(320)}@initech.test`, siteId: 's-1' })
        .expect(400);
      expect(res.body.message.join(' ')).toMatch(/^email /);
      res = await request(server())
        .post('/orgs/initech/policies')
        .set(ADMIN)
        .send({ name: 'P', type: 'authentication', settings: { sessionTimeoutMinutes: 'soon' } })
        .expect(400);
      expect(res.body.message.join(' ')).toMatch(/settings\.sessionTimeoutMinutes/);
      res = await request(server())
        .post('/orgs/initech/groups')
        .set(ADMIN)
        .send({ name: 'bad \ud800 surrogate' })
        .expect(400);
      expect(res.body.message.join(' ')).toMatch(/^name must be well-formed Unicode/);
    });

    it('answers 401 without the demo identity, recording nothing', async () => {
      const before = (await rows('initech')).length;
      await request(server()).post('/orgs/initech/groups').send({ name: 'x' }).expect(401);
      expect(await rows('initech')).toHaveLength(before);
    });

    it('refuses a 1 MB group name with a 400, storing it nowhere', async () => {
      const name = 'g'.repeat(1024 * 1024);
      const res = await request(server())
        .post('/orgs/initech/groups')
        .set(ADMIN)
        .send({ name })
        .expect(400);
      expect(res.body.message).toContain('name must be shorter than or equal to 1024 characters');
      const groups = await request(server()).get('/orgs/initech/groups').set(ADMIN).expect(200);
      expect(groups.body).toEqual([]);
      const longest = await dataSource.query(
        'SELECT MAX(LENGTH(targets)) AS t, MAX(LENGTH(metadata)) AS m FROM auditkit_events',
      );
      expect(Number(longest[0].t)).toBeLessThan(4096);
      expect(Number(longest[0].m)).toBeLessThan(4096);
      // A 1024-character name is fine.
      await request(server())
        .post('/orgs/initech/groups')
        .set(ADMIN)
        .send({ name: 'g'.repeat(1024) })
        .expect(201);
    });

    it('never stores a password, whatever /me/password was sent', async () => {
      const me = { 'x-user-id': 'root-1' };
      const first = 'Correct-Horse-Battery-Staple-1';
      const second = 'Tr0ub4dor&3-second-secret';
      const wrong = 'Wrong-Password-Guess-42';
      const short = 'shortpw';
      await request(server()).put('/me/password').set(me).send({ newPassword: first }).expect(200);
      await request(server())
        .put('/me/password')
        .set(me)
        .send({ currentPassword: wrong, newPassword: second })
        .expect(403);
      await request(server())
        .put('/me/password')
        .set(me)
        .send({ currentPassword: first, newPassword: short })
        .expect(400);
      const res = await request(server())
        .put('/me/password')
        .set(me)
        .send({ currentPassword: first, newPassword: second })
        .expect(200);
      expect(JSON.stringify(res.body)).not.toMatch(/password/i);

      const events = await rows('initech');
      const changes = events.filter((e) => e.action === 'user_password_changed');
      expect(changes.map((e) => e.outcome)).toEqual(['success', 'failure', 'failure', 'success']);
      expect(
        changes.filter((e) => e.outcome === 'success').map((e) => JSON.parse(e.metadata)),
      ).toEqual([{}, {}]);
      const everything = JSON.stringify(await dataSource.query('SELECT * FROM auditkit_events'));
      for (const secret of [first, second, wrong, short]) expect(everything).not.toContain(secret);
    });
  });
});
