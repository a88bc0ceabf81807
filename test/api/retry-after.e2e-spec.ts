import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AuditLogModule } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule, signAuditToken } from '@auditkit/nestjs/admin';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { TcpProxy } from '../support/tcp-proxy';
import { SECRET } from './api-harness';

const EVENTS = '/admin/v1/orgs/acme/events';
const event = (name: string) => ({
  action: 'group_created',
  actor: { id: 'u-svc', type: 'user', name: 'Ingest Service' },
  targets: [{ id: `g-${name}`, type: 'group', name }],
});

// Each way the admin API can answer 503 while the database is cut: the error filter (an
// outage it recognizes), the ingest route (the writer could not store the event), with and
// without an Idempotency-Key. A client is told one Retry-After, whichever path answered.
describe('Retry-After of every 503 (MariaDB behind a TCP proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let app: INestApplication;
  let admin: string;
  let writer: string;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    proxy = await TcpProxy.start(
      Number(new URL(MYSQL_URL).port || 3306),
      new URL(MYSQL_URL).hostname,
    );
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({
          isGlobal: true,
          databaseUrl: proxy.urlFor(db.url),
          failurePolicy: 'fail-closed',
        }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    admin = await signAuditToken({ sub: 'u-admin', orgs: { acme: ['org-admin'] } }, SECRET, 3600);
    writer = await signAuditToken(
      { sub: 'svc-ingest', orgs: { acme: ['site-admin'] }, scope: 'events:write' },
      SECRET,
      3600,
    );
  });

  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('is the same on every route and path that answers 503', async () => {
    const server = app.getHttpServer();
    const stored = await request(server)
      .post(EVENTS)
      .set('Authorization', `Bearer ${writer}`)
      .send(event('before'))
      .expect(201);

    proxy.cut();
    const answers = {
      'GET events': await request(server).get(EVENTS).set('Authorization', `Bearer ${admin}`),
      'GET an event': await request(server)
        .get(`${EVENTS}/${stored.body.data.id}`)
        .set('Authorization', `Bearer ${admin}`),
      'POST events': await request(server)
        .post(EVENTS)
        .set('Authorization', `Bearer ${writer}`)
        .send(event('no-key')),
      'POST events with an Idempotency-Key': await request(server)
        .post(EVENTS)
        .set('Authorization', `Bearer ${writer}`)
        .set('Idempotency-Key', 'key-1')
        .send(event('keyed')),
    };
    const retryAfter = Object.fromEntries(
      Object.entries(answers).map(([what, res]) => [
        what,
        { status: res.status, retryAfter: res.headers['retry-after'] },
      ]),
    );
    const seconds = answers['GET events'].headers['retry-after'];
    expect(seconds).toMatch(/^[1-9]\d*$/);
    expect(retryAfter).toEqual(
      Object.fromEntries(
        Object.keys(answers).map((what) => [what, { status: 503, retryAfter: seconds }]),
      ),
    );
    // The detail that names a wait names the same one.
    for (const res of Object.values(answers)) {
      const detail = String(res.body.errors[0].detail);
      for (const [, n] of detail.matchAll(/Retry in (\d+) seconds/g)) expect(n).toBe(seconds);
    }

    proxy.restore();
  });
});
