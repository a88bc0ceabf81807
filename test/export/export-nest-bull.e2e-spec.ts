import { BullModule, getQueueToken } from '@nestjs/bull';
import { DynamicModule, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { rmSync } from 'node:fs';
import Bull from 'bull';
import request from 'supertest';
import { AuditLogModule } from '@auditkit/nestjs';
import { AuditAdminModule } from '@auditkit/nestjs/admin';
import { AuditExportModule, AuditExportService } from '@auditkit/nestjs/export';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import {
  forgetQueues,
  JWT_SECRET,
  LINK_SECRET,
  PUBLIC_URL,
  seedEvents,
  tempDir,
  token,
  uniqueQueue,
} from './support/export-app';
import { SmtpSink } from './support/smtp-sink';

const REDIS_URL = process.env.AUDITKIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new URL(REDIS_URL);
const HOST_REDIS = { host: redis.hostname, port: Number(redis.port || 6379) };

/** A Bull queue with what Bull keeps of its options (not in its typings). */
type BullQueue = Bull.Queue & { keyPrefix: string; settings: Record<string, unknown> };

describe('the export queue through @nestjs/bull', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let storageDir: string;
  let admin: string;
  const opened: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    smtp = await SmtpSink.start();
    storageDir = tempDir('nest-bull');
    admin = await token();
  });

  afterAll(async () => {
    for (const a of opened.reverse()) await a.close();
    await forgetQueues(REDIS_URL);
    await smtp?.close();
    await db?.drop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  /** A host app: the audit modules beside what the host imports itself (its BullModule). */
  async function hostApp(exportModule: DynamicModule, host: DynamicModule[] = []) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ...host,
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({ jwt: { secret: JWT_SECRET } }),
        exportModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    opened.push(app);
    return app;
  }

  const exportOptions = () => ({
    publicUrl: PUBLIC_URL,
    linkSecret: LINK_SECRET,
    cleanup: false,
    storageDir,
  });

  async function requestExport(app: INestApplication): Promise<string> {
    const res = await request(app.getHttpServer())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${admin}`)
      .send({ category: 'groups' })
      .expect(202);
    return res.body.data.id as string;
  }

  it("runs exports on the host's BullModule.forRoot() connection, under its prefix", async () => {
    // The host's prefix; the queue name is the export module's.
    const { name, prefix } = uniqueQueue('host');
    const hostBull = () => [BullModule.forRoot({ redis: HOST_REDIS, prefix })];
    const queue = { name, useHostConnection: true };
    const api = await hostApp(
      AuditExportModule.forRoot({ ...exportOptions(), worker: false, queue }),
      hostBull(),
    );
    await seedEvents(api, 'acme', 30);
    const id = await requestExport(api);

    // Queued, not run (no worker yet): the job waits in Redis under the host's prefix.
    const probe = new Bull(name, REDIS_URL, { prefix });
    const elsewhere = new Bull(name, REDIS_URL);
    try {
      expect(await probe.client.exists(`${prefix}:${name}:${id}`)).toBe(1);
      expect((await probe.getJob(id))?.data).toEqual({ exportId: id });
      expect(await elsewhere.getJob(id)).toBeNull();
    } finally {
      await probe.close();
      await elsewhere.close();
    }
    const bull = api.get<BullQueue>(getQueueToken(name));
    expect(bull.keyPrefix).toBe(prefix);

    // A worker on the same host connection takes it.
    const worker = await hostApp(
      AuditExportModule.forRoot({ ...exportOptions(), smtpUrl: smtp.url, queue }),
      hostBull(),
    );
    await waitFor(`the mail of export ${id}`, () => smtp.forExport(id)[0], { timeoutMs: 20_000 });
    expect(await worker.get(AuditExportService).get('acme', id)).toMatchObject({
      status: 'ready',
      attempts: 1,
    });
  });

  it('shares a named BullModule.forRoot(configKey) configuration', async () => {
    const { name, prefix } = uniqueQueue('keyed');
    const app = await hostApp(
      AuditExportModule.forRoot({
        ...exportOptions(),
        worker: false,
        queue: { name, useHostConnection: 'audit' },
      }),
      [BullModule.forRoot('audit', { redis: HOST_REDIS, prefix })],
    );
    const bull = app.get<BullQueue>(getQueueToken(name));
    expect(bull.keyPrefix).toBe(prefix);
    const id = await requestExport(app);
    expect(await bull.getJob(id)).not.toBeNull();
  });

  it('resolves the queue with getQueueToken(name), from forRoot() and forRootAsync()', async () => {
    const own = uniqueQueue('token');
    const app = await hostApp(
      AuditExportModule.forRoot({
        ...exportOptions(),
        worker: false,
        redisUrl: REDIS_URL,
        queue: own,
      }),
    );
    const bull = app.get<BullQueue>(getQueueToken(own.name));
    expect(bull).toBeInstanceOf(Bull);
    expect({ name: bull.name, prefix: bull.keyPrefix }).toEqual(own);
    expect(bull.settings).toMatchObject({ lockDuration: 30_000, stalledInterval: 30_000 });
    const id = await requestExport(app);
    // The export id is the job id.
    expect((await bull.getJob(id))?.id).toBe(id);

    const later = uniqueQueue('async');
    const async = await hostApp(
      AuditExportModule.forRootAsync({
        bullQueue: { name: later.name },
        useFactory: () => ({
          ...exportOptions(),
          worker: false,
          redisUrl: REDIS_URL,
          queue: { prefix: later.prefix, lockDurationMs: 1500 },
        }),
      }),
    );
    const asyncBull = async.get<BullQueue>(getQueueToken(later.name));
    expect({ name: asyncBull.name, prefix: asyncBull.keyPrefix }).toEqual(later);
    expect(asyncBull.settings).toMatchObject({ lockDuration: 1500 });
  });

  it('creates no Bull queue without Redis (the in-process queue)', async () => {
    const app = await hostApp(
      AuditExportModule.forRootAsync({
        bullQueue: false,
        useFactory: () => ({ ...exportOptions() }),
      }),
    );
    expect(() => app.get(getQueueToken('auditkit-exports'))).toThrow();
    const id = await requestExport(app);
    await waitFor(`export ${id} to be ready`, async () =>
      (await app.get(AuditExportService).get('acme', id))?.status === 'ready' ? true : undefined,
    );
  });
});
