import { Body, Controller, INestApplication, Param, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AuditLogModule,
  AuditLogModuleOptions,
  AuditService,
  AuditWriteError,
  Audit,
  auditDataSourceOptions,
} from '@auditkit/nestjs';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';
import { groupCreated } from '../support/events';

@Controller('orgs/:orgId/groups')
class GroupsController {
  @Post()
  @Audit<{ id: string; name: string }>('group_created', {
    targets: ({ result }) => ({ id: result!.id, type: 'group', name: result!.name }),
  })
  create(@Param('orgId') orgId: string, @Body() body: { name: string }) {
    return { id: `${orgId}/${body.name}`, name: body.name };
  }
}

const FAST_RETRIES = { retryBaseMs: 20, retryMaxMs: 100 };

// An outage of a network database: the TCP path to MariaDB is cut and restored. (SQLite is a
// local file, with no connection to lose.)
describe('a database outage (MariaDB behind a TCP proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let reader: DataSource;
  const opened: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    proxy = await TcpProxy.start(
      Number(new URL(MYSQL_URL).port || 3306),
      new URL(MYSQL_URL).hostname,
    );
    // The test's own direct connection, which the proxy never cuts.
    reader = new DataSource(auditDataSourceOptions(db.url));
    await reader.initialize();
  });

  afterEach(async () => {
    proxy.restore();
    while (opened.length) await opened.pop()!.close();
  });

  afterAll(async () => {
    await proxy?.close();
    await reader?.destroy();
    await db?.drop();
  });

  async function startApp(options: Partial<AuditLogModuleOptions>) {
    const logs = new CaptureLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [AuditLogModule.forRoot({ databaseUrl: proxy.urlFor(db.url), ...options })],
      controllers: [GroupsController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: logs });
    app.use((req: any, _res: any, next: () => void) => {
      req.user = { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' };
      next();
    });
    await app.init();
    opened.push(app);
    const post = (orgId: string, name: string) =>
      request(app.getHttpServer()).post(`/orgs/${orgId}/groups`).send({ name });
    return { app, logs, post, audit: app.get(AuditService) };
  }

  const rows = (orgId: string): Promise<{ seq: string | number; targets: string }[]> =>
    reader.query('SELECT seq, targets FROM auditkit_events WHERE org_id = ? ORDER BY seq', [orgId]);
  const names = async (orgId: string) =>
    (await rows(orgId)).map((r) => JSON.parse(r.targets)[0].name as string);

  /** Every name stored exactly once, and seq 1..n without a gap. */
  async function expectExactlyOnce(orgId: string, expected: string[]) {
    const stored = await rows(orgId);
    expect(stored.map((r) => Number(r.seq))).toEqual(stored.map((_, i) => i + 1));
    expect((await names(orgId)).sort()).toEqual([...expected].sort());
  }

  describe('fail-closed', () => {
    it('answers 503 with a clear log line while the database is cut, and works again after restore', async () => {
      const { logs, post } = await startApp({ failurePolicy: 'fail-closed' });
      const orgId = 'closed';
      await post(orgId, 'before').expect(201);

      proxy.cut();
      const res = await post(orgId, 'during').expect(503);
      expect(res.body).toMatchObject({
        statusCode: 503,
        message: 'The activity could not be recorded in the audit log. Try again.',
      });
      expect(
        logs.find(/^Activity group_created could not be recorded; answering 503: /, 'error'),
      ).toHaveLength(1);
      expect(
        logs.find(
          /^Could not store 1 audit event\(s\); their requests fail with 503 \(failurePolicy: fail-closed\)\. \w+/,
          'error',
        ),
      ).toHaveLength(1);
      // Several requests during the outage: every one fails, none hangs.
      const during = await Promise.all(
        Array.from({ length: 5 }, (_, i) => post(orgId, `during-${i}`)),
      );
      expect(during.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);

      proxy.restore();
      await post(orgId, 'after').expect(201);
      await expectExactlyOnce(orgId, ['before', 'after']);
    });
  });

  describe('fail-open', () => {
    it('answers 2xx while cut, buffers, and stores every event exactly once after restore', async () => {
      const { logs, post } = await startApp({ failurePolicy: 'fail-open', writer: FAST_RETRIES });
      const orgId = 'open';
      await post(orgId, 'before').expect(201);

      proxy.cut();
      const during = Array.from({ length: 30 }, (_, i) => `during-${i}`);
      const responses = await Promise.all(during.map((n) => post(orgId, n)));
      expect(responses.map((r) => r.status)).toEqual(during.map(() => 201));
      // More come in while the writer is retrying.
      await waitFor(
        'a failed retry',
        () => logs.find(/kept in the buffer, retrying in \d+ ms/).length >= 2,
      );
      const late = ['late-1', 'late-2'];
      for (const n of late) await post(orgId, n).expect(201);
      expect(await names(orgId)).toEqual(['before']);
      expect(
        logs.find(/^Activity group_created not yet stored: /, 'warn').length,
      ).toBeGreaterThanOrEqual(32);

      proxy.restore();
      await waitFor('the buffered events to land', async () => (await rows(orgId)).length === 33);
      await post(orgId, 'after').expect(201);
      await expectExactlyOnce(orgId, ['before', ...during, ...late, 'after']);
    });

    it('rejects loudly with AuditWriteError when the buffer is full, and loses nothing it accepted', async () => {
      const { logs, audit, post } = await startApp({
        failurePolicy: 'fail-open',
        writer: { ...FAST_RETRIES, maxBufferSize: 5 },
      });
      const orgId = 'full';
      proxy.cut();
      const accepted = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
      const results = await Promise.allSettled(
        accepted.map((n) => audit.record(groupCreated(orgId, n))),
      );
      for (const r of results) {
        // Kept and retried: the caller is told so at once.
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuditWriteError);
        expect((r as PromiseRejectedResult).reason.buffered).toBe(true);
      }

      const refused = await audit.record(groupCreated(orgId, 'refused')).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AuditWriteError);
      expect(refused).toMatchObject({
        buffered: false,
        message: expect.stringMatching(/buffer is full.*REJECTED/),
      });
      expect(logs.find(/^Audit log buffer is full \(5 of 5 events waiting/, 'error')).toHaveLength(
        1,
      );

      // Over HTTP the refused event is not waved through as if it were buffered.
      const res = await post(orgId, 'refused-http');
      expect(res.status).toBe(503);

      proxy.restore();
      await waitFor('the buffered events to land', async () => (await rows(orgId)).length === 5);
      // Rows are visible at COMMIT; the writer frees their buffer places when the answer arrives.
      await audit.flush();
      await audit.record(groupCreated(orgId, 'after'));
      await expectExactlyOnce(orgId, [...accepted, 'after']);
    });

    it('stores the events of a batch whose COMMIT answer was lost exactly once', async () => {
      const { logs, post } = await startApp({ failurePolicy: 'fail-open', writer: FAST_RETRIES });
      const orgId = 'lost-ack';
      await post(orgId, 'before').expect(201);

      proxy.loseNextCommitAck();
      const batch = Array.from({ length: 10 }, (_, i) => `batch-${i}`);
      const responses = await Promise.all(batch.map((n) => post(orgId, n)));
      expect(responses.map((r) => r.status)).toEqual(batch.map(() => 201));
      expect(proxy.isCut).toBe(true);
      // The server did commit the batch in flight (the first request's, at least).
      const committedUnacknowledged = (await rows(orgId)).length - 1;
      expect(committedUnacknowledged).toBeGreaterThanOrEqual(1);
      await waitFor(
        'a failed retry',
        () => logs.find(/kept in the buffer, retrying in/).length >= 1,
      );

      proxy.restore();
      await waitFor('the buffer to drain', async () => (await rows(orgId)).length === 11);
      await post(orgId, 'after').expect(201);
      await expectExactlyOnce(orgId, ['before', ...batch, 'after']);
    });

    it('writes what is buffered on app.close(), once the database is back', async () => {
      // Retries far apart: only the shutdown flush can write the buffered events in time.
      const { app, post } = await startApp({
        failurePolicy: 'fail-open',
        writer: { retryBaseMs: 60_000, retryMaxMs: 60_000 },
      });
      const orgId = 'close-flush';
      proxy.cut();
      const buffered = Array.from({ length: 12 }, (_, i) => `buffered-${i}`);
      for (const r of await Promise.all(buffered.map((n) => post(orgId, n))))
        expect(r.status).toBe(201);
      proxy.restore();
      expect(await rows(orgId)).toHaveLength(0);

      await app.close();
      opened.splice(opened.indexOf(app), 1);
      await expectExactlyOnce(orgId, buffered);
    });

    it('reports loudly what it could not write when the database stays down through shutdown', async () => {
      const { app, logs, post } = await startApp({
        failurePolicy: 'fail-open',
        writer: { ...FAST_RETRIES, shutdownTimeoutMs: 300 },
      });
      const orgId = 'close-down';
      proxy.cut();
      for (const n of ['x-1', 'x-2', 'x-3']) await post(orgId, n).expect(201);
      await app.close();
      opened.splice(opened.indexOf(app), 1);
      expect(
        logs.find(
          /^Shut down with 3 audit event\(s\) still unwritten: they were NOT stored/,
          'error',
        ),
      ).toHaveLength(1);
      proxy.restore();
      expect(await rows(orgId)).toHaveLength(0);
    });

    it('says which events may be stored after all when a COMMIT answer is lost at shutdown', async () => {
      const { app, logs, post } = await startApp({
        failurePolicy: 'fail-open',
        writer: { ...FAST_RETRIES, shutdownTimeoutMs: 300 },
      });
      const orgId = 'close-lost-ack';
      await post(orgId, 'before').expect(201);
      proxy.loseNextCommitAck();
      await post(orgId, 'in-doubt').expect(201);
      await app.close();
      opened.splice(opened.indexOf(app), 1);

      const [line] = logs.find(/^Shut down with 1 audit event\(s\) still unwritten/, 'error');
      expect(line).toMatch(
        /0 were NOT stored; 1 were sent without an answer \(still in flight, or cut off after COMMIT\)/,
      );
      // The report is right to doubt: the server did commit it.
      const [stored] = await reader.query(
        'SELECT id FROM auditkit_events WHERE org_id = ? AND seq = 2',
        [orgId],
      );
      expect(line).toContain(stored.id);
    });
  });
});
