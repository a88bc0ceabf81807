import { INestApplication, Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Request } from 'express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditLogModule, auditDataSourceOptions } from '@auditkit/nestjs';
import {
  ApiExceptionFilter,
  AuditAdminModule,
  AuditAdminModuleOptions,
  AuditPrincipal,
  signAuditToken,
} from '@auditkit/nestjs/admin';
import { AuditExportModule, AuditExportModuleOptions } from '@auditkit/nestjs/export';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import {
  downloadLink,
  LINK_SECRET,
  pathOf,
  PUBLIC_URL,
  tempDir,
} from '../export/support/export-app';
import { SmtpSink } from '../export/support/smtp-sink';

const SECRET = 'rate-limit-e2e-secret-0123456789abcdef';
const MINUTE = 60_000;

const groupCreated = (name: string) => ({
  action: 'group_created',
  actor: { id: 'u-svc', type: 'user', name: 'Ingest Service' },
  targets: [{ id: `g-${name}`, type: 'group', name }],
});

/** A 429 as docs/api.md section 5 answers it, saying when to come back. */
function expectLimited(res: request.Response, windowSeconds: number) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = typeof res.body === 'string' ? JSON.parse(res.body) : res.body;
  expect(body).toEqual({
    errors: [
      {
        status: '429',
        code: 'too_many_requests',
        title: 'Too many requests',
        detail: expect.stringMatching(/^At most \d+ of these requests .* Retry in \d+ seconds\.$/),
      },
    ],
  });
}

const tally = (responses: request.Response[]) =>
  responses.reduce<Record<number, number>>(
    (t, r) => ({ ...t, [r.status]: (t[r.status] ?? 0) + 1 }),
    {},
  );

describe('rate limits (MariaDB)', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let reader: DataSource;
  const opened: INestApplication[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    smtp = await SmtpSink.start();
  });

  afterAll(async () => {
    while (opened.length) await opened.pop()!.close();
    await reader?.destroy();
    await smtp?.close();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function startApp(
    admin: Partial<AuditAdminModuleOptions>,
    exportOptions: Partial<AuditExportModuleOptions>,
    mount?: string,
  ) {
    const storageDir = tempDir('rate-limit');
    dirs.push(storageDir);
    const adminModule = AuditAdminModule.forRoot({ jwt: { secret: SECRET }, ...admin });
    const exportModule = AuditExportModule.forRoot({
      publicUrl: mount ? `${PUBLIC_URL}/${mount}` : PUBLIC_URL,
      linkSecret: LINK_SECRET,
      cleanup: false,
      smtpUrl: smtp.url,
      storageDir,
      ...exportOptions,
    });
    @Module({
      imports: [
        adminModule,
        exportModule,
        ...(mount
          ? [
              RouterModule.register([
                { path: mount, module: AuditAdminModule },
                { path: mount, module: AuditExportModule },
              ]),
            ]
          : []),
      ],
    })
    class AuditPluginModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }), AuditPluginModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    opened.push(app);
    reader ??= await new DataSource(auditDataSourceOptions(db.url)).initialize();
    return app;
  }

  const bearer = (sub: string, orgs: Record<string, string[]>, scope?: string) =>
    signAuditToken({ sub, name: sub, email: `${sub}@acme.test`, orgs, scope }, SECRET, 3600);

  const count = async (sql: string, params: unknown[]) =>
    Number((await reader.query(sql, params))[0].n);

  describe('standalone (bearer tokens)', () => {
    let app: INestApplication;
    let jane: string;
    let bob: string;

    beforeAll(async () => {
      app = await startApp(
        {
          rateLimit: {
            reads: { limit: 3, windowMs: MINUTE },
            ingest: { limit: 3, windowMs: MINUTE },
          },
        },
        {
          rateLimit: {
            exports: { limit: 2, windowMs: 10 * MINUTE },
            downloads: { limit: 2, windowMs: 10 * MINUTE },
          },
        },
      );
      jane = await bearer('u-jane', { acme: ['org-admin'], globex: ['org-admin'] });
      bob = await bearer('u-bob', { acme: ['org-admin'] });
    });

    const postExport = (token: string, orgId = 'acme') =>
      request(app.getHttpServer())
        .post(`/admin/v1/orgs/${orgId}/exports`)
        .set('Authorization', `Bearer ${token}`)
        .send({});

    it('refuses a burst of exports over the limit with 429, storing and mailing nothing for them; other users and orgs are unaffected', async () => {
      const burst = await Promise.all(Array.from({ length: 8 }, () => postExport(jane)));
      expect(tally(burst)).toEqual({ 202: 2, 429: 6 });
      for (const res of burst.filter((r) => r.status === 429)) expectLimited(res, 600);

      const others = [await postExport(bob), await postExport(jane, 'globex')];
      expect(others.map((r) => r.status)).toEqual([202, 202]);

      const accepted = [...burst, ...others].filter((r) => r.status === 202);
      for (const res of accepted) {
        await waitFor(`the mail of ${res.body.data.id}`, () => smtp.forExport(res.body.data.id)[0]);
      }
      // Only the accepted ones exist: no row, no audit_log_exported event, no job, no mail.
      expect(await count('SELECT COUNT(*) AS n FROM auditkit_exports', [])).toBe(4);
      expect(
        await count('SELECT COUNT(*) AS n FROM auditkit_events WHERE action = ?', [
          'audit_log_exported',
        ]),
      ).toBe(4);
      expect(smtp.messages).toHaveLength(4);
      // Still limited for jane on acme.
      expectLimited(await postExport(jane), 600);
    });

    it('limits the download link per link', async () => {
      const exported = (await postExport(bob, 'acme')).body.data;
      // bob's second export: within his limit of 2.
      expect(exported.type).toBe('exports');
      const link = downloadLink(await waitFor('the mail', () => smtp.forExport(exported.id)[0]));
      const get = (l: string) => request(app.getHttpServer()).get(pathOf(l));
      expect([(await get(link)).status, (await get(link)).status]).toEqual([200, 200]);
      expectLimited(await get(link), 600);
      // Another export's link has its own count.
      const [first] = smtp.messages.filter((m) => !m.messageId?.includes(exported.id));
      expect((await get(downloadLink(first))).status).toBe(200);
    });

    it('limits GET events per user and org, and leaves the other routes alone', async () => {
      const list = (token: string, orgId = 'acme') =>
        request(app.getHttpServer())
          .get(`/admin/v1/orgs/${orgId}/events`)
          .set('Authorization', `Bearer ${token}`);
      const responses = [];
      for (let i = 0; i < 4; i++) responses.push(await list(jane));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expectLimited(responses[3], 60);
      expect((await list(bob)).status).toBe(200);
      expect((await list(jane, 'globex')).status).toBe(200);
      const id = responses[0].body.data[0].id;
      await request(app.getHttpServer())
        .get(`/admin/v1/orgs/acme/events/${id}`)
        .set('Authorization', `Bearer ${jane}`)
        .expect(200);
      await request(app.getHttpServer())
        .get('/admin/v1/orgs/acme/event-actions')
        .set('Authorization', `Bearer ${jane}`)
        .expect(200);
    });

    it('limits POST events per writer and org', async () => {
      const writerA = await bearer('svc-a', { acme: ['site-admin'] }, 'events:write');
      const writerB = await bearer('svc-b', { acme: ['site-admin'] }, 'events:write');
      const post = (token: string, name: string) =>
        request(app.getHttpServer())
          .post('/admin/v1/orgs/acme/events')
          .set('Authorization', `Bearer ${token}`)
          .send(groupCreated(name));
      const burst = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => post(writerA, n)));
      expect(tally(burst)).toEqual({ 201: 3, 429: 2 });
      for (const res of burst.filter((r) => r.status === 429)) expectLimited(res, 60);
      expect((await post(writerB, 'f')).status).toBe(201);
      // Refused events were not stored.
      expect(
        await count(
          "SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = 'acme' AND action = 'group_created'",
          [],
        ),
      ).toBe(4);
    });
  });

  it('applies the default export limit (10 in 15 minutes) when none is configured', async () => {
    const app = await startApp({}, {});
    const token = await bearer('u-default', { defaults: ['org-admin'] });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push(
        (
          await request(app.getHttpServer())
            .post('/admin/v1/orgs/defaults/exports')
            .set('Authorization', `Bearer ${token}`)
            .send({})
        ).status,
      );
    }
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
  });

  it('keys the limits by the host principal when mounted behind a host guard', async () => {
    const users: Record<string, AuditPrincipal> = {
      'sess-1': { sub: 'u-1', email: 'u1@acme.test', orgs: { acme: ['org-admin'] }, scopes: [] },
      'sess-2': { sub: 'u-2', email: 'u2@acme.test', orgs: { acme: ['org-admin'] }, scopes: [] },
    };
    const app = await startApp(
      {
        jwt: undefined,
        resolvePrincipal: (req: Request) => users[String(req.headers['x-host-session'])],
        secret: 'host-cursor-secret-host-cursor-secret',
        rateLimit: { reads: { limit: 2, windowMs: MINUTE } },
      },
      { rateLimit: { exports: { limit: 1, windowMs: MINUTE } } },
      'audit',
    );
    const as = (session: string) => ({
      list: () =>
        request(app.getHttpServer())
          .get('/audit/admin/v1/orgs/acme/events')
          .set('x-host-session', session),
      exportAll: () =>
        request(app.getHttpServer())
          .post('/audit/admin/v1/orgs/acme/exports')
          .set('x-host-session', session)
          .send({}),
    });
    const reads = [];
    for (let i = 0; i < 3; i++) reads.push((await as('sess-1').list()).status);
    expect(reads).toEqual([200, 200, 429]);
    expect((await as('sess-2').list()).status).toBe(200);
    expect((await as('sess-1').exportAll()).status).toBe(202);
    expectLimited(await as('sess-1').exportAll(), 60);
    expect((await as('sess-2').exportAll()).status).toBe(202);
  });
});

describe('rate limits of the admin app', () => {
  // The built entry point, as `npm start` runs it.
  const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'main.js');

  it.each([
    ['AUDITKIT_EXPORT_RATE_LIMIT', 'lots'],
    ['AUDITKIT_DOWNLOAD_RATE_LIMIT', '10/0m'],
    ['AUDITKIT_INGEST_RATE_LIMIT', '0/1m'],
    ['AUDITKIT_READ_RATE_LIMIT', '600'],
  ])('refuses to start with %s=%s, in one line naming the variable', (name, value) => {
    const dataDir = tempDir('rate-limit-config');
    try {
      const r = spawnSync(process.execPath, [MAIN], {
        env: { PATH: process.env.PATH, AUDITKIT_DATA_DIR: dataDir, [name]: value },
        encoding: 'utf8',
        timeout: 60000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `auditkit: ${name} must look like 10/15m (requests per window of s, m, h or d, at most 30d) or off (got "${value}")`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
