import { INestApplication } from '@nestjs/common';
import { rmSync } from 'node:fs';
import Bull from 'bull';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditService } from '@auditkit/nestjs';
import {
  AuditExportService,
  EXPORT_FAILED_SUBJECT,
  LocalExportStorage,
} from '@auditkit/nestjs/export';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import {
  allEvents,
  allFiles,
  createExportApp,
  download,
  downloadLink,
  finishedFiles,
  forgetQueues,
  LINK_SECRET,
  parseCsv,
  PUBLIC_URL,
  seedEvents,
  tempDir,
  TestClock,
  token,
  uniqueQueue,
} from './support/export-app';
import { GatedStorage } from './support/gated-storage';
import { OwnRedisServer } from './support/redis-server';
import { SmtpSink } from './support/smtp-sink';
import { WorkerProcess } from './support/worker-process';

const REDIS_URL = process.env.AUDITKIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOUR = 3600_000;
// Short locks so a dead worker's job is handed on within seconds instead of Bull's 30 s.
const FAST_STALL = { lockDurationMs: 1500, stalledIntervalMs: 500, backoffMs: 100 };

describe('exports when workers die, Redis restarts and workers race', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let seeder: INestApplication;
  let admin: string;
  let expected: string[];
  const opened: INestApplication[] = [];
  const dirs: string[] = [];
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    smtp = await SmtpSink.start();
    admin = await token();
    seeder = await app(
      { worker: false, redisUrl: REDIS_URL, queue: uniqueQueue('seed') },
      tempDir('seed'),
    );
    // Enough rows that a file is written in many chunks (a pause lands mid-file).
    await seedEvents(seeder, 'acme', 600);
    expected = (await allEvents(seeder, admin, 'acme', { category: 'groups' })).map((e) => e.id);
  });

  afterAll(async () => {
    for (const w of workers) await w.kill();
    for (const a of opened.reverse()) await a.close();
    await forgetQueues(REDIS_URL);
    await smtp?.close();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function app(
    exportOptions: Parameters<typeof createExportApp>[0]['export'],
    storageDir: string,
  ): Promise<INestApplication> {
    const created = await createExportApp({
      databaseUrl: db.url,
      export: { smtpUrl: smtp.url, storageDir, ...exportOptions },
    });
    opened.push(created);
    return created;
  }

  function dir(label: string): string {
    const d = tempDir(label);
    dirs.push(d);
    return d;
  }

  async function requestExport(target: INestApplication, body: object = { category: 'groups' }) {
    const res = await request(target.getHttpServer())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${admin}`)
      .send(body)
      .expect(202);
    return res.body.data.id as string;
  }

  const exportOf = (target: INestApplication, id: string) =>
    target.get(AuditExportService).get('acme', id);

  async function rowOf(target: INestApplication, id: string) {
    const ds = target.get(AuditService)['store']['dataSource'] as DataSource;
    const [row] = await ds.query('SELECT * FROM auditkit_exports WHERE id = ?', [id]);
    return row;
  }

  /** Waits until the queue holds no job at all (nothing left that could send another mail). */
  async function drained(queue: { name: string; prefix: string }, redisUrl = REDIS_URL) {
    const bull = new Bull(queue.name, redisUrl, { prefix: queue.prefix });
    try {
      await waitFor('the queue to drain', async () => {
        const c = await bull.getJobCounts();
        return c.waiting + c.active + c.delayed === 0;
      });
    } finally {
      await bull.close();
    }
  }

  function mailOf(id: string) {
    return waitFor(`the mail of export ${id}`, () => smtp.forExport(id)[0], { timeoutMs: 20_000 });
  }

  async function csvIds(target: INestApplication, id: string): Promise<string[]> {
    const res = await download(target, downloadLink(await mailOf(id))).expect(200);
    return (await parseCsv(res.body)).slice(1).map((r) => r[11]);
  }

  it('finishes with one file and one mail when the worker is killed mid-file', async () => {
    const queue = { ...uniqueQueue('kill'), ...FAST_STALL };
    const storageDir = dir('kill');
    const child = await WorkerProcess.start({
      databaseUrl: db.url,
      redisUrl: REDIS_URL,
      smtpUrl: smtp.url,
      storageDir,
      publicUrl: PUBLIC_URL,
      linkSecret: LINK_SECRET,
      queue,
      mode: 'hold-write',
    });
    workers.push(child);
    const api = await app({ worker: false, redisUrl: REDIS_URL, queue }, storageDir);
    const id = await requestExport(api);

    await child.next('half-written');
    expect(finishedFiles(storageDir)).toEqual([]);
    expect(allFiles(storageDir).filter((n) => n.startsWith(`.${id}.csv.`))).toHaveLength(1);
    await child.kill();
    expect(await exportOf(api, id)).toMatchObject({ status: 'running', attempts: 1 });

    // Another worker picks the job up once Bull sees its lock expired.
    const worker = await app({ redisUrl: REDIS_URL, queue }, storageDir);
    await mailOf(id);
    await drained(queue);
    expect(smtp.forExport(id)).toHaveLength(1);
    expect(await exportOf(worker, id)).toMatchObject({
      status: 'ready',
      attempts: 2,
      rowCount: expected.length,
    });
    expect(await csvIds(worker, id)).toEqual(expected);
    expect(finishedFiles(storageDir).sort()).toEqual([`${id}.csv`, `${id}.manifest.json`]);

    // The dead worker's half file is left over until cleanup, then only the finished ones remain.
    expect(allFiles(storageDir)).toHaveLength(3);
    const cleaned = await worker.get(AuditExportService).cleanup(new Date(Date.now() + 2 * HOUR));
    expect(cleaned.incompleteRemoved).toBe(1);
    expect(allFiles(storageDir).sort()).toEqual([`${id}.csv`, `${id}.manifest.json`]);
  });

  it('sends the mail once when the worker dies between claiming and sending it', async () => {
    const queue = { ...uniqueQueue('mailcrash'), ...FAST_STALL };
    const storageDir = dir('mailcrash');
    const child = await WorkerProcess.start({
      databaseUrl: db.url,
      redisUrl: REDIS_URL,
      smtpUrl: smtp.url,
      storageDir,
      publicUrl: PUBLIC_URL,
      linkSecret: LINK_SECRET,
      queue,
      mode: 'plain',
    });
    workers.push(child);
    const held = smtp.holdNextMessage();
    const api = await app({ worker: false, redisUrl: REDIS_URL, queue }, storageDir);
    const id = await requestExport(api);
    // The worker claimed the mail and handed it to SMTP; it dies before hearing "250".
    await held;
    await child.kill();
    const claimed = await rowOf(api, id);
    expect(claimed.status).toBe('ready');
    expect(Number(claimed.mailed_at)).toBeLessThan(0);

    const clock = new TestClock();
    const worker = await app({ redisUrl: REDIS_URL, queue, clock }, storageDir);
    // Bull hands the stalled job on; a claim this fresh may still be sending, so it waits.
    await drained(queue);
    expect(smtp.forExport(id)).toHaveLength(0);
    expect(await worker.get(AuditExportService).reconcile(clock.now())).toEqual([]);

    // Once the claim is older than mailClaimTimeoutMs, recovery sends it.
    clock.advance(16 * 60_000);
    expect(await worker.get(AuditExportService).reconcile(clock.now())).toEqual([id]);
    await mailOf(id);
    await drained(queue);
    expect(smtp.forExport(id)).toHaveLength(1);
    expect(Number((await rowOf(worker, id)).mailed_at)).toBeGreaterThan(0);
    expect(await worker.get(AuditExportService).reconcile(clock.now())).toEqual([]);
    expect(await csvIds(worker, id)).toEqual(expected);
  });

  it('retries an attempt that failed half-way through the file', async () => {
    const queue = { ...uniqueQueue('retry'), ...FAST_STALL };
    const storageDir = dir('retry');
    const storage = new GatedStorage(new LocalExportStorage({ directory: storageDir }), storageDir);
    const worker = await app({ redisUrl: REDIS_URL, queue, storage }, storageDir);
    const gate = storage.holdNextWrite(4096);
    const id = await requestExport(worker);
    await gate.reached;
    gate.fail(new Error('disk went away'));
    await mailOf(id);
    await drained(queue);
    expect(smtp.forExport(id)).toHaveLength(1);
    expect(await exportOf(worker, id)).toMatchObject({ status: 'ready', attempts: 2 });
    expect((await rowOf(worker, id)).error).toBeNull();
    expect(allFiles(storageDir).sort()).toEqual([`${id}.csv`, `${id}.manifest.json`]);
    expect(await csvIds(worker, id)).toEqual(expected);
  });

  it('marks an export failed after its last attempt and mails that once', async () => {
    const queue = { ...uniqueQueue('fail'), ...FAST_STALL, attempts: 2 };
    const storageDir = dir('fail');
    const storage = new GatedStorage(new LocalExportStorage({ directory: storageDir }), storageDir);
    const worker = await app({ redisUrl: REDIS_URL, queue, storage }, storageDir);
    const gates = [storage.holdNextWrite(4096), storage.holdNextWrite(4096)];
    const id = await requestExport(worker);
    for (const gate of gates) {
      await gate.reached;
      gate.fail(new Error('disk full'));
    }
    const mail = await mailOf(id);
    await drained(queue);
    expect(mail.subject).toBe(EXPORT_FAILED_SUBJECT);
    expect(mail.text).toContain('could not be created');
    expect(mail.text).not.toContain('disk full');
    expect(smtp.forExport(id)).toHaveLength(1);
    expect(await exportOf(worker, id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      rowCount: null,
    });
    expect((await rowOf(worker, id)).error).toContain('disk full');
    expect(allFiles(storageDir)).toEqual([]);
    const res = await request(worker.getHttpServer())
      .get(`/admin/v1/orgs/acme/exports/${id}`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    expect(res.body.data.attributes).toMatchObject({
      status: 'failed',
      rowCount: null,
      expiresAt: null,
    });
    expect(JSON.stringify(res.body)).not.toContain('disk full');
    // Nothing more is owed for it.
    expect(await worker.get(AuditExportService).reconcile(new Date(Date.now() + HOUR))).toEqual([]);
  });

  describe('with a Redis of its own', () => {
    let redis: OwnRedisServer;
    let firstApp = 0;

    beforeAll(async () => {
      redis = await OwnRedisServer.start();
      firstApp = opened.length;
    });

    afterAll(async () => {
      // The apps on this Redis close before it stops.
      for (const a of opened.splice(firstApp).reverse()) await a.close();
      await redis?.stop();
    });

    it('finishes an export once when Redis restarts (losing every key) mid-file', async () => {
      const queue = { ...uniqueQueue('restart'), ...FAST_STALL };
      const storageDir = dir('restart');
      const storage = new GatedStorage(
        new LocalExportStorage({ directory: storageDir }),
        storageDir,
      );
      const worker = await app({ redisUrl: redis.url, queue, storage }, storageDir);
      const gate = storage.holdNextWrite(4096);
      const id = await requestExport(worker);
      await gate.reached;
      await redis.restart();
      gate.release();

      await mailOf(id);
      expect(await exportOf(worker, id)).toMatchObject({ status: 'ready', attempts: 1 });
      // The SMTP server has the mail a moment before the worker writes down that it was sent.
      await waitFor(
        `export ${id} marked mailed`,
        async () => (await rowOf(worker, id)).mailed_at > 0,
      );
      // Nothing is owed for it, so recovery leaves it alone.
      expect(await worker.get(AuditExportService).reconcile(new Date(Date.now() + HOUR))).toEqual(
        [],
      );
      await drained(queue, redis.url);
      expect(smtp.forExport(id)).toHaveLength(1);
      expect(finishedFiles(storageDir).sort()).toEqual([`${id}.csv`, `${id}.manifest.json`]);
      expect(await csvIds(worker, id)).toEqual(expected);

      // The queue works again after the restart.
      const next = await requestExport(worker, { actor: 'u-1' });
      await mailOf(next);
      await drained(queue, redis.url);
      expect(smtp.forExport(next)).toHaveLength(1);
    });

    it('queues again an export whose job was lost with a Redis restart', async () => {
      const queue = { ...uniqueQueue('lost'), ...FAST_STALL };
      const storageDir = dir('lost');
      const api = await app({ worker: false, redisUrl: redis.url, queue }, storageDir);
      const id = await requestExport(api);
      await redis.restart();
      const worker = await app({ redisUrl: redis.url, queue }, storageDir);
      const service = worker.get(AuditExportService);
      // Too fresh for recovery (it may still be on its way to the queue)...
      expect(await service.reconcile(new Date())).toEqual([]);
      // ...but once past the grace period it is queued again, and only once.
      const later = new Date(Date.now() + 2 * 60_000);
      expect(await service.reconcile(later)).toEqual([id]);
      await mailOf(id);
      await drained(queue, redis.url);
      expect(await service.reconcile(later)).toEqual([]);
      expect(smtp.forExport(id)).toHaveLength(1);
      expect(await exportOf(worker, id)).toMatchObject({ status: 'ready', attempts: 1 });
    });

    it('reports Redis in /readyz', async () => {
      const queue = uniqueQueue('ready');
      const api = await app({ worker: false, redisUrl: redis.url, queue }, dir('ready'));
      const res = await request(api.getHttpServer()).get('/readyz').expect(200);
      expect(res.body.checks).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
    });
  });

  it('sends one mail per export when two workers share a queue', async () => {
    const queue = { ...uniqueQueue('pair'), ...FAST_STALL };
    const storageDir = dir('pair');
    const a = await app({ redisUrl: REDIS_URL, queue, concurrency: 2 }, storageDir);
    await app({ redisUrl: REDIS_URL, queue, concurrency: 2 }, storageDir);
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await requestExport(a, { actor: `u-${i}` }));
    for (const id of ids) await mailOf(id);
    await drained(queue);
    for (const id of ids) {
      expect(smtp.forExport(id)).toHaveLength(1);
      expect(await exportOf(a, id)).toMatchObject({ status: 'ready', attempts: 1 });
    }
    expect(finishedFiles(storageDir).sort()).toEqual(
      ids.flatMap((id) => [`${id}.csv`, `${id}.manifest.json`]).sort(),
    );
  });

  it('sends one mail and keeps one file when two workers run the same export at once', async () => {
    // Nobody takes jobs from this queue: the two "workers" run the export by hand, both at once,
    // as two workers would after Bull handed a live worker's job to another.
    const queue = uniqueQueue('race');
    const storageDir = dir('race');
    const storageA = new GatedStorage(
      new LocalExportStorage({ directory: storageDir }),
      storageDir,
    );
    const storageB = new GatedStorage(
      new LocalExportStorage({ directory: storageDir }),
      storageDir,
    );
    const a = await app(
      { worker: false, redisUrl: REDIS_URL, queue, storage: storageA },
      storageDir,
    );
    const b = await app(
      { worker: false, redisUrl: REDIS_URL, queue, storage: storageB },
      storageDir,
    );
    for (const order of ['a-first', 'b-first'] as const) {
      const id = await requestExport(a);
      const gateA = storageA.holdNextWrite(4096);
      const gateB = storageB.holdNextWrite(4096);
      const runA = a.get(AuditExportService).run(id);
      await gateA.reached;
      const runB = b.get(AuditExportService).run(id);
      await gateB.reached;
      expect(allFiles(storageDir).filter((n) => n.startsWith(`.${id}.csv.`))).toHaveLength(2);
      const [first, second] = order === 'a-first' ? [gateA, gateB] : [gateB, gateA];
      first.release();
      await (order === 'a-first' ? runA : runB);
      second.release();
      await Promise.all([runA, runB]);

      expect(smtp.forExport(id)).toHaveLength(1);
      expect(await exportOf(a, id)).toMatchObject({
        status: 'ready',
        attempts: 2,
        rowCount: expected.length,
      });
      expect(
        allFiles(storageDir)
          .filter((n) => n.includes(id))
          .sort(),
      ).toEqual([`${id}.csv`, `${id}.manifest.json`]);
      expect(await csvIds(a, id)).toEqual(expected);
      // Running it again once finished changes nothing.
      await b.get(AuditExportService).run(id);
      expect(smtp.forExport(id)).toHaveLength(1);
    }
  });
});
