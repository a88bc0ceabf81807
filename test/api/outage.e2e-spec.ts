import { INestApplication } from '@nestjs/common';
import { rmSync } from 'node:fs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions } from '@auditkit/nestjs';
import { signAuditToken } from '@auditkit/nestjs/admin';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';
import {
  createExportApp,
  download,
  downloadLink,
  JWT_SECRET,
  tempDir,
  token,
} from '../export/support/export-app';
import { OwnRedisServer } from '../export/support/redis-server';
import { SmtpSink } from '../export/support/smtp-sink';

const EVENTS = '/admin/v1/orgs/acme/events';
const EXPORTS = '/admin/v1/orgs/acme/exports';

const groupCreated = (name: string) => ({
  action: 'group_created',
  actor: { id: 'u-svc', type: 'user', name: 'Ingest Service' },
  targets: [{ id: `g-${name}`, type: 'group', name }],
});

/** A 503 as docs/api.md section 5 answers it, telling the client when to come back. */
function expectUnavailable(res: request.Response, what: string) {
  expect({ what, status: res.status }).toEqual({ what, status: 503 });
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  // The download helper reads every body as text.
  const body = typeof res.body === 'string' ? JSON.parse(res.body) : res.body;
  expect(body).toEqual({
    errors: [
      {
        status: '503',
        code: 'service_unavailable',
        title: 'Service unavailable',
        detail: expect.any(String),
      },
    ],
  });
}

/** Lines that carry a stack trace (the "one stack per request" this suite rules out). */
const stacks = (logs: CaptureLogger) => logs.lines.filter((l) => /\n\s+at /.test(l.message));

describe('every route while a dependency is unreachable', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let reader: DataSource;
  let smtp: SmtpSink;
  const dirs: string[] = [];
  const opened: INestApplication[] = [];
  let adminToken: string;
  let writerToken: string;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    proxy = await TcpProxy.start(
      Number(new URL(MYSQL_URL).port || 3306),
      new URL(MYSQL_URL).hostname,
    );
    smtp = await SmtpSink.start();
    adminToken = await token();
    writerToken = await signAuditToken(
      { sub: 'svc-ingest', orgs: { acme: ['site-admin'] }, scope: 'events:write' },
      JWT_SECRET,
      3600,
    );
  });

  afterEach(async () => {
    proxy.restore();
    while (opened.length) await opened.pop()!.close();
  });

  afterAll(async () => {
    await proxy?.close();
    await reader?.destroy();
    await smtp?.close();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function startApp(redisUrl?: string) {
    const logs = new CaptureLogger();
    const storageDir = tempDir('outage');
    dirs.push(storageDir);
    const app = await createExportApp({
      databaseUrl: proxy.urlFor(db.url),
      export: {
        smtpUrl: smtp.url,
        storageDir,
        redisUrl,
        queue: { name: `outage-${Date.now()}`, prefix: 'auditkit-outage', backoffMs: 100 },
      },
      logger: logs,
    });
    opened.push(app);
    // The test's own connection, which the proxy never cuts (the schema exists by now).
    if (!reader) reader = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    const server = app.getHttpServer();
    const as = (bearer: string) => ({
      get: (path: string) => request(server).get(path).set('Authorization', `Bearer ${bearer}`),
      post: (path: string, body?: object) => {
        const req = request(server).post(path).set('Authorization', `Bearer ${bearer}`);
        return body === undefined ? req : req.send(body);
      },
    });
    return { app, logs, server, admin: as(adminToken), writer: as(writerToken) };
  }

  const exportRows = async (): Promise<number> =>
    Number(
      (
        await reader.query('SELECT COUNT(*) AS n FROM auditkit_exports WHERE org_id = ?', ['acme'])
      )[0].n,
    );
  const exportedEvents = async (): Promise<number> =>
    Number(
      (
        await reader.query(
          'SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = ? AND action = ?',
          ['acme', 'audit_log_exported'],
        )
      )[0].n,
    );

  it('answers 503 with Retry-After on every database route, logs one line per outage, and recovers', async () => {
    const { app, logs, server, admin, writer } = await startApp();
    const recorded = (await writer.post(EVENTS, groupCreated('before')).expect(201)).body.data;
    const exported = (await admin.post(EXPORTS, { category: 'groups' }).expect(202)).body.data;
    const link = downloadLink(
      await waitFor('the mail of the first export', () => smtp.forExport(exported.id)[0]),
    );
    logs.clear();

    proxy.cut();
    const during: [string, () => request.Test][] = [
      ['GET events', () => admin.get(EVENTS)],
      ['GET an event', () => admin.get(`${EVENTS}/${recorded.id}`)],
      ['POST events', () => writer.post(EVENTS, groupCreated('during'))],
      [
        'POST events with an Idempotency-Key',
        () => writer.post(EVENTS, groupCreated('during-key')).set('Idempotency-Key', 'k-during'),
      ],
      ['POST exports', () => admin.post(EXPORTS, { category: 'groups' })],
      ['GET an export', () => admin.get(`${EXPORTS}/${exported.id}`)],
      ['GET the download link', () => download(app, link)],
      [
        'POST session',
        () =>
          request(server).post('/admin/v1/session').set('Authorization', `Bearer ${adminToken}`),
      ],
    ];
    // Each route twice, the second time several at once: still one line for the whole outage.
    for (const [what, send] of during) expectUnavailable(await send(), what);
    const again = await Promise.all(during.map(([, send]) => send()));
    again.forEach((res, i) => expectUnavailable(res, `${during[i][0]} (again)`));
    // What needs no database keeps working; the load balancer learns of the outage from /readyz.
    await admin.get(`/admin/v1/orgs/acme/event-actions`).expect(200);
    await request(server).get('/healthz').expect(200);
    const ready = await request(server).get('/readyz').expect(503);
    expect(ready.body.checks.database.status).toBe('down');

    expect(logs.find(/^Database unreachable/, 'error')).toEqual([
      expect.stringMatching(/^Database unreachable \(.+\); answering 503 until it is back$/),
    ]);
    expect(logs.find(/internal|Internal/)).toEqual([]);
    expect(stacks(logs)).toEqual([]);

    proxy.restore();
    await waitFor('the end of the outage to be logged', () =>
      logs.find(/^Database reachable again/, 'log').length ? true : undefined,
    );
    expect(logs.find(/^Database reachable again/, 'log')).toEqual([
      expect.stringMatching(
        /^Database reachable again after \d+ s; \d+ request\(s\) answered 503$/,
      ),
    ]);
    await admin.get(EVENTS).expect(200);
    await admin.get(`${EVENTS}/${recorded.id}`).expect(200);
    await writer.post(EVENTS, groupCreated('after')).expect(201);
    await writer
      .post(EVENTS, groupCreated('after-key'))
      .set('Idempotency-Key', 'k-after')
      .expect(201);
    const later = (await admin.post(EXPORTS, { category: 'groups' }).expect(202)).body.data;
    await admin.get(`${EXPORTS}/${exported.id}`).expect(200);
    await download(app, link).expect(200);
    await request(server)
      .post('/admin/v1/session')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    await waitFor('the mail of the export after the outage', () => smtp.forExport(later.id)[0]);
    await request(server).get('/readyz').expect(200);
    expect(logs.find(/^Database unreachable/)).toHaveLength(1);
    expect(stacks(logs)).toEqual([]);
  });

  describe('with a Redis of its own', () => {
    let redis: OwnRedisServer;

    beforeAll(async () => {
      redis = await OwnRedisServer.start();
    });

    afterAll(async () => {
      // The apps on this Redis close (afterEach) before it stops.
      await redis?.stop();
    });

    it('refuses an export with 503 while Redis is down (nothing stored, nothing mailed later), and recovers', async () => {
      const { logs, server, admin } = await startApp(redis.url);
      const first = (await admin.post(EXPORTS, { category: 'groups' }).expect(202)).body.data;
      await waitFor('the mail of the first export', () => smtp.forExport(first.id)[0]);
      // The mail goes before the job is marked done in Redis; stopping Redis in between would
      // leave that job to fail against an empty Redis later (a log line this test does not expect).
      await waitFor('the first job to leave the queue', async () =>
        (await redis.keyCount(`*${first.id}*`)) === 0 ? true : undefined,
      );
      const [rowsBefore, eventsBefore, mailsBefore] = [
        await exportRows(),
        await exportedEvents(),
        smtp.messages.length,
      ];
      logs.clear();

      await redis.stop();
      // Long enough down for the queue's connections to fail reconnecting a few times.
      await waitFor('the queue to notice', () =>
        logs.find(/^Export queue: Redis unreachable/, 'warn').length ? true : undefined,
      );
      // The same request twice: it fails fast each time rather than waiting for Redis.
      expectUnavailable(await admin.post(EXPORTS, { category: 'groups' }), 'POST exports');
      expectUnavailable(await admin.post(EXPORTS, { category: 'groups' }), 'POST exports (again)');
      // What needs only the database still answers.
      await admin.get(`${EXPORTS}/${first.id}`).expect(200);
      await admin.get(EVENTS).expect(200);
      const ready = await request(server).get('/readyz').expect(503);
      expect(ready.body.checks).toMatchObject({
        database: { status: 'up' },
        redis: { status: 'down' },
      });
      expect(await exportRows()).toBe(rowsBefore);
      expect(await exportedEvents()).toBe(eventsBefore);
      expect(logs.find(/^Redis unreachable/, 'error')).toEqual([
        expect.stringMatching(/^Redis unreachable \(.+\); answering 503 until it is back$/),
      ]);
      expect(stacks(logs)).toEqual([]);

      await redis.restart();
      await waitFor('the end of the outage to be logged', () =>
        logs.find(/^Redis reachable again/, 'log').length ? true : undefined,
      );
      const next = (await admin.post(EXPORTS, { category: 'groups' }).expect(202)).body.data;
      await waitFor('the mail of the export after the outage', () => smtp.forExport(next.id)[0]);
      await request(server).get('/readyz').expect(200);
      // Only the export that was accepted was stored and mailed.
      expect(await exportRows()).toBe(rowsBefore + 1);
      expect(smtp.messages.length).toBe(mailsBefore + 1);
      expect(logs.find(/^Redis unreachable/)).toHaveLength(1);
      expect(logs.find(/^Redis reachable again/)).toHaveLength(1);
      // The queue's connections retried many times: one line when lost, one when back.
      expect(logs.find(/^Export queue:/)).toEqual([
        expect.stringMatching(
          /^Export queue: Redis unreachable \(.+\); jobs wait until it is back$/,
        ),
        'Export queue: connected to Redis again',
      ]);
      expect(stacks(logs)).toEqual([]);
    });
  });
});
