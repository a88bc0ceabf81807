import { INestApplication } from '@nestjs/common';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Bull from 'bull';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditService } from '@auditkit/nestjs';
import {
  AuditExportService,
  EXPORT_CSV_COLUMNS,
  EXPORT_READY_SUBJECT,
} from '@auditkit/nestjs/export';
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
  forgetQueues,
  parseCsv,
  seedEvents,
  tempDir,
  TestClock,
  token,
  uniqueQueue,
} from './support/export-app';
import { SmtpSink } from './support/smtp-sink';

const REDIS_URL = process.env.AUDITKIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOUR = 3600_000;

describe('exports on MariaDB with Redis and SMTP', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let app: INestApplication;
  let storageDir: string;
  let clock: TestClock;
  let admin: string;
  const opened: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    smtp = await SmtpSink.start();
    storageDir = tempDir('exports');
    clock = new TestClock();
    app = await createExportApp({
      databaseUrl: db.url,
      export: {
        redisUrl: REDIS_URL,
        smtpUrl: smtp.url,
        storageDir,
        clock,
        queue: { ...uniqueQueue('main'), backoffMs: 100 },
        // One admin asks for more exports here than the default limit allows; the limits have
        // their own suite (test/api/rate-limit.e2e-spec.ts).
        rateLimit: { exports: false },
      },
    });
    opened.push(app);
    admin = await token();
    await seedEvents(app, 'acme', 240);
    await seedEvents(app, 'globex', 30);
  });

  afterAll(async () => {
    for (const a of opened.reverse()) await a.close();
    await forgetQueues(REDIS_URL);
    await smtp?.close();
    await db?.drop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  const server = () => app.getHttpServer();

  async function requestExport(
    body: object | undefined,
    bearer = admin,
    orgId = 'acme',
    target = app,
  ) {
    const req = request(target.getHttpServer())
      .post(`/admin/v1/orgs/${orgId}/exports`)
      .set('Authorization', `Bearer ${bearer}`);
    const res = body === undefined ? await req : await req.send(body);
    expect(res.status).toBe(202);
    return res.body.data as { id: string; attributes: Record<string, unknown> };
  }

  async function status(id: string, orgId = 'acme', bearer = admin) {
    const res = await request(server())
      .get(`/admin/v1/orgs/${orgId}/exports/${id}`)
      .set('Authorization', `Bearer ${bearer}`)
      .expect(200);
    return res.body.data.attributes;
  }

  function mailFor(id: string) {
    return waitFor(`the mail of export ${id}`, () => smtp.forExport(id)[0]);
  }

  it('queues an export, mails a link, and serves the same rows as GET events', async () => {
    const filters = { category: 'groups', from: new Date(Date.now() - 10 * 60_000).toISOString() };
    const created = await requestExport(filters);
    expect(created).toMatchObject({
      type: 'exports',
      attributes: {
        status: 'queued',
        filters: { category: 'groups', from: filters.from },
        requestedBy: 'u-admin',
      },
    });
    expect(Object.keys(created.attributes).sort()).toEqual([
      'createdAt',
      'filters',
      'requestedBy',
      'status',
    ]);
    expect(new Date(created.attributes.createdAt as string).toISOString()).toBe(
      created.attributes.createdAt,
    );
    // The log as it is now: what the export must hold.
    const events = await allEvents(app, admin, 'acme', { category: 'groups', from: filters.from });
    expect(events.length).toBeGreaterThan(50);

    const mail = await mailFor(created.id);
    expect(mail.subject).toBe(EXPORT_READY_SUBJECT);
    expect(mail.to && 'value' in mail.to ? mail.to.value[0].address : undefined).toBe(
      'jane@acme.test',
    );
    const link = downloadLink(mail);
    expect(link).toMatch(
      /^http:\/\/auditkit\.test\/admin\/v1\/exports\/download\?token=[\w-]+\.[\w-]+$/,
    );

    const st = await status(created.id);
    expect(st).toMatchObject({ status: 'ready', rowCount: events.length, truncated: false });
    expect(new Date(st.expiresAt).getTime() - new Date(st.readyAt).getTime()).toBe(24 * HOUR);

    const res = await download(app, link).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const today = new Date(st.readyAt).toISOString().slice(0, 10);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="audit-log-acme-${today}.csv"`,
    );
    const text = res.body as string;
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = await parseCsv(text);
    expect(rows[0]).toEqual([...EXPORT_CSV_COLUMNS]);
    const actions = await actionNames(app, admin, 'acme');
    expect(rows.slice(1)).toEqual(events.map((e) => expectedRow(e, actions)));
  });

  it('records who exported and who downloaded', async () => {
    const created = await requestExport({ actor: 'u-3' });
    const link = downloadLink(await mailFor(created.id));
    await download(app, link).expect(200);
    await download(app, link).expect(200);
    await app.get(AuditService).flush();
    const exported = await allEvents(app, admin, 'acme', { action: 'audit_log_exported' });
    const mine = exported.find((e) => e.attributes.metadata.exportId === created.id);
    expect(mine.attributes.actor).toEqual({
      id: 'u-admin',
      type: 'user',
      name: 'Jane Admin',
      email: 'jane@acme.test',
    });
    expect(mine.attributes.category).toBe('organization');
    const downloads = (
      await allEvents(app, admin, 'acme', { action: 'audit_log_downloaded' })
    ).filter((e) => e.attributes.metadata.exportId === created.id);
    expect(downloads).toHaveLength(2);
    expect(downloads[0].attributes.actor).toEqual(mine.attributes.actor);
    expect(downloads[0].attributes.metadata).toEqual({ exportId: created.id });
  });

  it('exports everything for an empty body, including the export request itself', async () => {
    const created = await requestExport(undefined);
    const events = await allEvents(app, admin, 'acme');
    const link = downloadLink(await mailFor(created.id));
    const rows = await parseCsv((await download(app, link).expect(200)).body);
    expect(rows.slice(1).map((r) => r[11])).toEqual(events.map((e) => e.id));
    expect(rows[1][4]).toBe('audit_log_exported');
    // The globex events are not in acme's export.
    expect(rows.slice(1).every((r) => !r[6].includes('globex'))).toBe(true);
  });

  it('writes only the header row when nothing matches', async () => {
    const created = await requestExport({ actor: 'nobody' });
    const mail = await mailFor(created.id);
    expect(mail.text).toContain('No events matched your filters');
    const res = await download(app, downloadLink(mail)).expect(200);
    expect(res.body).toBe(`${EXPORT_CSV_COLUMNS.join(',')}\r\n`);
    expect(await status(created.id)).toMatchObject({
      status: 'ready',
      rowCount: 0,
      truncated: false,
    });
  });

  it('neutralises formula payloads in names and keeps other text exactly', async () => {
    const payloads = [
      '=HYPERLINK("http://evil.test","x")',
      '+1+1',
      '-2+3',
      '@SUM(A1)',
      '\tleading tab',
      'a";=1+2',
    ];
    const audit = app.get(AuditService);
    for (const [i, p] of payloads.entries()) {
      await audit.record({
        orgId: 'acme',
        action: 'domain_verified',
        time: Date.now() - 1000 + i,
        actor: { id: `evil-${i}`, type: 'user', name: p, email: `evil${i}@acme.test` },
        targets: [{ id: `d-${i}`, type: 'domain', name: p }],
      });
    }
    const created = await requestExport({ action: 'domain_verified' });
    const rows = await parseCsv(
      (await download(app, downloadLink(await mailFor(created.id))).expect(200)).body,
    );
    const expected = [...payloads].reverse().map((p) => (p === 'a";=1+2' ? p : `'${p}`));
    expect(rows.slice(1).map((r) => r[1])).toEqual(expected);
    expect(rows.slice(1).map((r) => r[6])).toEqual(expected);
  });

  it('answers 400 for bad filters and 422 for a token without an e-mail', async () => {
    const bad = await request(server())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${admin}`)
      .send({ from: 'yesterday', bogus: 1 })
      .expect(400);
    expect(bad.body.errors.map((e: any) => e.source.pointer).sort()).toEqual(['/bogus', '/from']);
    const unknown = await request(server())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${admin}`)
      .send({ action: ['no_such_action'] })
      .expect(400);
    expect(unknown.body.errors[0].source).toEqual({ pointer: '/action' });
    const noEmail = await request(server())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${await token({ email: null })}`)
      .send({})
      .expect(422);
    expect(noEmail.body.errors[0]).toMatchObject({ status: '422', code: 'email_required' });
    expect(noEmail.body.errors[0].detail).toMatch(/e-mail/);
  });

  it("lets only org admins of the export's org ask for it", async () => {
    const created = await requestExport({ actor: 'u-1' });
    const path = `/admin/v1/orgs/acme/exports/${created.id}`;
    await request(server()).get(path).expect(401);
    await request(server()).post('/admin/v1/orgs/acme/exports').send({}).expect(401);
    const otherAdmin = await token({ sub: 'u-g', orgs: { globex: ['org-admin'] } });
    expect(
      (await request(server()).get(path).set('Authorization', `Bearer ${otherAdmin}`).expect(403))
        .body.errors[0].status,
    ).toBe('403');
    const member = await token({ sub: 'u-m', orgs: { acme: ['member'] } });
    await request(server()).get(path).set('Authorization', `Bearer ${member}`).expect(403);
    await request(server())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${member}`)
      .send({})
      .expect(403);
    // Globex's admin asking for acme's export id under globex: not theirs, so not found.
    await request(server())
      .get(`/admin/v1/orgs/globex/exports/${created.id}`)
      .set('Authorization', `Bearer ${otherAdmin}`)
      .expect(404);
  });

  it('answers 410 once the link expired, and cleanup removes the file', async () => {
    const created = await requestExport({ actor: 'u-2' });
    const link = downloadLink(await mailFor(created.id));
    await download(app, link).expect(200);
    clock.advance(24 * HOUR - 1);
    await download(app, link).expect(200);
    clock.advance(1);
    const gone = await download(app, link).expect(410);
    expect(JSON.parse(gone.body).errors[0]).toMatchObject({ status: '410', code: 'link_expired' });
    expect(JSON.parse(gone.body).errors[0].detail).toMatch(/export the audit log again/i);
    expect(await status(created.id)).toMatchObject({ status: 'expired' });
    expect(finishedFiles(storageDir)).toContain(`${created.id}.csv`);

    const result = await app.get(AuditExportService).cleanup(clock.now());
    expect(result.expired).toBeGreaterThanOrEqual(1);
    expect(finishedFiles(storageDir)).not.toContain(`${created.id}.csv`);
    expect(await status(created.id)).toMatchObject({ status: 'expired' });
    await download(app, link).expect(410);
    // A second run finds nothing left to do for it.
    const again = await app.get(AuditExportService).cleanup(clock.now());
    expect(again).toEqual({ expired: 0, filesDeleted: 0, incompleteRemoved: 0 });
    clock.advance(-24 * HOUR);
  });

  it('refuses tampered, cut, foreign and purged links with 403 or 404, never 500', async () => {
    const a = await requestExport({ actor: 'u-4' });
    const b = await requestExport({ actor: 'u-5' });
    const linkA = downloadLink(await mailFor(a.id));
    const linkB = downloadLink(await mailFor(b.id));
    const [payloadA, sigA] = new URL(linkA).searchParams.get('token')!.split('.');
    const [payloadB] = new URL(linkB).searchParams.get('token')!.split('.');
    const base = '/admin/v1/exports/download';
    const flip = (s: string) =>
      s[5] === 'A' ? s.slice(0, 5) + 'B' + s.slice(6) : s.slice(0, 5) + 'A' + s.slice(6);
    const forged = JSON.parse(Buffer.from(payloadA, 'base64url').toString());
    const tries = [
      `${base}?token=${payloadA}.${flip(sigA)}`,
      `${base}?token=${flip(payloadA)}.${sigA}`,
      `${base}?token=${payloadA}.${sigA.slice(0, -4)}`,
      `${base}?token=${payloadA}`,
      `${base}?token=${payloadB}.${sigA}`,
      `${base}?token=${Buffer.from(JSON.stringify({ ...forged, o: 'globex' })).toString('base64url')}.${sigA}`,
      `${base}?token=`,
      base,
      `${base}?token=${'x'.repeat(5000)}`,
      `${base}?token[]=a`,
    ];
    for (const path of tries) {
      const res = await request(server()).get(path);
      expect([403, 404]).toContain(res.status);
      expect(res.body.errors[0].status).toBe(String(res.status));
    }
    unlinkSync(join(storageDir, `${b.id}.csv`));
    const purged = await download(app, linkB).expect(404);
    expect(JSON.parse(purged.body).errors[0].detail).toMatch(/export the audit log again/i);
    await download(app, linkA).expect(200);
  });

  it('caps the file at maxRows, keeps the newest and says it was truncated', async () => {
    const capped = await createExportApp({
      databaseUrl: db.url,
      export: {
        redisUrl: REDIS_URL,
        smtpUrl: smtp.url,
        storageDir,
        maxRows: 25,
        queue: uniqueQueue('cap'),
      },
    });
    opened.push(capped);
    const created = await requestExport({ category: 'groups' }, admin, 'acme', capped);
    const events = await allEvents(app, admin, 'acme', { category: 'groups' });
    const mail = await mailFor(created.id);
    expect(mail.text).toContain('only the newest 25 rows were included');
    const rows = await parseCsv((await download(capped, downloadLink(mail)).expect(200)).body);
    expect(rows).toHaveLength(26);
    expect(rows.slice(1).map((r) => r[11])).toEqual(events.slice(0, 25).map((e) => e.id));
    expect(await status(created.id)).toMatchObject({
      status: 'ready',
      rowCount: 25,
      truncated: true,
    });

    // Exactly the cap matching is not truncated.
    const exact = await requestExport({ action: 'domain_verified' }, admin, 'acme', capped);
    await mailFor(exact.id);
    expect(await status(exact.id)).toMatchObject({ rowCount: 6, truncated: false });
  });

  it('makes one job per export id however often it is queued', async () => {
    const queue = uniqueQueue('dedupe');
    const api = await createExportApp({
      databaseUrl: db.url,
      export: { redisUrl: REDIS_URL, smtpUrl: smtp.url, storageDir, worker: false, queue },
    });
    opened.push(api);
    const created = await requestExport({ actor: 'u-6' }, admin, 'acme', api);
    const bull = new Bull(queue.name, REDIS_URL, { prefix: queue.prefix });
    try {
      await bull.add({ exportId: created.id }, { jobId: created.id });
      await bull.add({ exportId: created.id }, { jobId: created.id });
      expect(await api.get(AuditExportService).reconcile(new Date(Date.now() + HOUR))).toEqual([]);
      expect(await bull.getJobCounts()).toMatchObject({ waiting: 1, active: 0, delayed: 0 });
      expect((await bull.getJob(created.id))?.data).toEqual({ exportId: created.id });
    } finally {
      await bull.close();
    }
    // A worker on that queue takes it from there.
    const worker = await createExportApp({
      databaseUrl: db.url,
      export: { redisUrl: REDIS_URL, smtpUrl: smtp.url, storageDir, queue },
    });
    opened.push(worker);
    await mailFor(created.id);
    expect(smtp.forExport(created.id)).toHaveLength(1);
    expect(await status(created.id)).toMatchObject({ status: 'ready' });
  });

  it('keeps the exports table as the record of every export', async () => {
    const ds = app.get(AuditService)['store']['dataSource'] as DataSource;
    const rows = await ds.query(`SELECT id, status, attempts, mailed_at FROM auditkit_exports`);
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) {
      expect(['ready', 'expired']).toContain(r.status);
      expect(Number(r.attempts)).toBe(1);
      expect(Number(r.mailed_at)).toBeGreaterThan(0);
      expect(smtp.forExport(r.id)).toHaveLength(1);
    }
  });
});
