import { INestApplication } from '@nestjs/common';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import {
  AuditExportService,
  EXPORT_CSV_COLUMNS,
  EXPORT_READY_SUBJECT,
  LocalExportStorage,
} from '@auditkit/nestjs/export';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import {
  actionNames,
  allEvents,
  createExportApp,
  download,
  downloadLink,
  expectedRow,
  finishedFiles,
  parseCsv,
  seedEvents,
  tempDir,
  token,
} from './support/export-app';
import { GatedStorage } from './support/gated-storage';

describe('exports in the embedded default: SQLite, no Redis, mails to the outbox', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let storageDir: string;
  let outboxDir: string;
  let admin: string;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    storageDir = tempDir('embedded-exports');
    outboxDir = tempDir('embedded-outbox');
    app = await createExportApp({
      databaseUrl: db.url,
      export: { storageDir, outboxDir, queue: { backoffMs: 50 } },
      logger,
    });
    admin = await token();
    await seedEvents(app, 'acme', 150);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    rmSync(storageDir, { recursive: true, force: true });
    rmSync(outboxDir, { recursive: true, force: true });
  });

  it('warns that jobs run in-process', () => {
    expect(logger.find(/no redisUrl.*dev only/, 'warn')).toHaveLength(1);
  });

  it('runs the whole path: request, .eml in the outbox, link, CSV equal to GET events', async () => {
    const res = await request(app.getHttpServer())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${admin}`)
      .send({ action: 'user_added_to_group,group_created' })
      .expect(202);
    const id = res.body.data.id;
    expect(res.body.data.attributes).toMatchObject({
      status: 'queued',
      filters: { action: ['user_added_to_group', 'group_created'] },
    });
    expect(res.headers.location).toBe(`/admin/v1/orgs/acme/exports/${id}`);
    const events = await allEvents(app, admin, 'acme', {
      action: 'user_added_to_group,group_created',
    });

    const file = await waitFor(
      'an .eml file in the outbox',
      () => readdirSync(outboxDir).filter((n) => n.endsWith('.eml'))[0],
    );
    expect(statSync(join(outboxDir, file)).mode & 0o777).toBe(0o600);
    const mail = await simpleParser(readFileSync(join(outboxDir, file)));
    expect(mail.subject).toBe(EXPORT_READY_SUBJECT);
    expect(mail.messageId).toContain(id);
    const link = downloadLink(mail);
    // Without SMTP, the link is in the log for the developer to follow.
    expect(logger.find(new RegExp(`download link: ${link.replace(/[.?]/g, '\\$&')}`))).toHaveLength(
      1,
    );

    const status = await request(app.getHttpServer())
      .get(`/admin/v1/orgs/acme/exports/${id}`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    expect(status.body.data.attributes).toMatchObject({
      status: 'ready',
      rowCount: events.length,
      truncated: false,
    });

    const csv = await download(app, link).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = await parseCsv(csv.body);
    expect(rows[0]).toEqual([...EXPORT_CSV_COLUMNS]);
    const actions = await actionNames(app, admin, 'acme');
    expect(rows.slice(1)).toEqual(events.map((e) => expectedRow(e, actions)));
    expect(finishedFiles(storageDir).sort()).toEqual([`${id}.csv`, `${id}.manifest.json`]);
  });

  it('finishes, after a restart, an export the stopped process left half-written', async () => {
    const storage = new GatedStorage(new LocalExportStorage({ directory: storageDir }), storageDir);
    const before = await createExportApp({
      databaseUrl: db.url,
      export: { storageDir, outboxDir, storage, queue: { backoffMs: 50 } },
    });
    const gate = storage.holdNextWrite(2048);
    const res = await request(before.getHttpServer())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${admin}`)
      .send({})
      .expect(202);
    const id = res.body.data.id;
    await gate.reached;
    // The process stops mid-file; its in-process job is gone with it.
    const stopping = before.close();
    gate.fail(new Error('process stopping'));
    await stopping;
    const service = app.get(AuditExportService);
    expect(await service.get('acme', id)).toMatchObject({
      status: 'running',
      attempts: 1,
      mailed: false,
    });

    // The next process's recovery sweep finds it once it is older than the grace period.
    expect(await service.reconcile(new Date())).toEqual([]);
    expect(await service.reconcile(new Date(Date.now() + 2 * 60_000))).toEqual([id]);
    await waitFor('the export to be mailed', async () => (await service.get('acme', id))?.mailed);
    expect(await service.get('acme', id)).toMatchObject({ status: 'ready', attempts: 2 });
    const mails = await Promise.all(
      readdirSync(outboxDir)
        .filter((n) => n.endsWith('.eml'))
        .map(async (n) => simpleParser(readFileSync(join(outboxDir, n)))),
    );
    expect(mails.filter((m) => m.messageId?.includes(id))).toHaveLength(1);
    expect(finishedFiles(storageDir)).toContain(`${id}.csv`);
    expect(await service.reconcile(new Date(Date.now() + 3600_000))).toEqual([]);
  });

  it("takes an org API key with the exports scope, mailing the key's creator", async () => {
    const http = () => request(app.getHttpServer());
    const create = async (scope: string[]) =>
      (
        await http()
          .post('/admin/v1/orgs/acme/api-keys')
          .set('Authorization', `Bearer ${admin}`)
          .send({ name: `key ${scope.join(' ')}`, scope, expiresInDays: 1 })
          .expect(201)
      ).body.data.attributes.secret as string;
    const exporter = await create(['exports']);
    const reader = await create(['events:read']);
    await http()
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${reader}`)
      .send({})
      .expect(403);
    const mails = () => readdirSync(outboxDir).filter((n) => n.endsWith('.eml'));
    const before = new Set(mails());
    const res = await http()
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${exporter}`)
      .send({ action: 'group_created' })
      .expect(202);
    const file = await waitFor(
      'a new .eml in the outbox',
      () => mails().filter((n) => !before.has(n))[0],
    );
    const mail = await simpleParser(readFileSync(join(outboxDir, file)));
    expect(mail.messageId).toContain(res.body.data.id);
    expect(JSON.stringify(mail.to)).toContain('jane@acme.test');
    await http()
      .get(`/admin/v1/orgs/acme/exports/${res.body.data.id}`)
      .set('Authorization', `Bearer ${exporter}`)
      .expect(200);
    await http()
      .get(`/admin/v1/orgs/acme/exports/${res.body.data.id}`)
      .set('Authorization', `Bearer ${reader}`)
      .expect(403);
  });
});
