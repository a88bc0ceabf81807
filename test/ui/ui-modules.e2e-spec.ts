import { INestApplication, Module } from '@nestjs/common';
import { NestFactory, RouterModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import request from 'supertest';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import {
  ApiExceptionFilter,
  AuditAdminModule,
  AuditPrincipal,
  signAuditToken,
} from '@auditkit/nestjs/admin';
import { AdminAppModule } from '../../apps/admin/src/admin-app.module';
import { loadConfig } from '../../apps/admin/src/config';
import { createTestDatabase, TestDatabase } from '../support/databases';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const SECRET = 'ui-modules-secret-ui-modules-secret-0123456';
const UI_DIR = join(__dirname, '..', '..', 'libs', 'audit-log', 'ui');
const SCRIPTS = readdirSync(UI_DIR).filter((f) => f.endsWith('.js'));
const SHEETS = readdirSync(UI_DIR).filter((f) => f.endsWith('.css'));

/** A host that mounts the admin plugin under /audit/ and signs users in with a header of its own. */
function hostModule(databaseUrl: string, ui: boolean) {
  @Module({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl }),
      AuditAdminModule.forRoot({
        resolvePrincipal: (req): AuditPrincipal | undefined =>
          (req as Request).headers['x-host-user'] === 'jane'
            ? { sub: 'u-1', name: 'Jane Doe', orgs: { acme: ['org-admin'] }, scopes: [] }
            : undefined,
        secret: 'ui-modules-cursor-secret-ui-modules-cursor',
        ui,
      }),
      RouterModule.register([{ path: 'audit', module: AuditAdminModule }]),
    ],
  })
  class HostModule {}
  return HostModule;
}

async function startHost(databaseUrl: string, ui: boolean): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [hostModule(databaseUrl, ui)],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('the web UI as native ES modules and several style sheets', () => {
  const dbs: TestDatabase[] = [];
  let adminApp: INestApplication;
  let host: INestApplication;
  let hostWithoutUi: INestApplication;
  let browser: Browser;
  let adminBase: string;

  beforeAll(async () => {
    const [adminDb, hostDb, bareDb] = await Promise.all(
      ['sqlite', 'sqlite', 'sqlite'].map(() => createTestDatabase('sqlite')),
    );
    dbs.push(adminDb, hostDb, bareDb);
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: adminDb.url,
      AUDITKIT_JWT_SECRET: SECRET,
      AUDITKIT_DATA_DIR: join(adminDb.url.slice('sqlite:'.length), '..'),
      AUDITKIT_SCHEDULER: 'false',
      PORT: String(port),
    });
    adminApp = await NestFactory.create(AdminAppModule.forConfig(config), {
      bodyParser: false,
      logger: ['error'],
    });
    adminApp.useGlobalFilters(new ApiExceptionFilter());
    await adminApp.listen(port, '127.0.0.1');
    adminBase = `http://127.0.0.1:${port}`;
    host = await startHost(hostDb.url, true);
    hostWithoutUi = await startHost(bareDb.url, false);
    const event = {
      orgId: 'acme',
      action: 'group_created',
      actor: { id: 'u-1', type: 'user', name: 'Jane Doe' },
      targets: [{ id: 'g-1', type: 'group', name: 'jira-admins' }],
    };
    await adminApp.get(AuditService).record(event);
    await host.get(AuditService).record(event);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await hostWithoutUi?.close();
    await host?.close();
    await adminApp?.close();
    for (const db of dbs) await db.drop();
  });

  it('ships the element module, modules beside it and every sheet the page or element links, each well short', () => {
    expect(SCRIPTS).toContain('auditkit-log.js');
    expect(SCRIPTS.length).toBeGreaterThan(5);
    const html = readFileSync(join(UI_DIR, 'index.html'), 'utf8');
    expect(html).toContain('<script type="module" src="auditkit-log.js"></script>');
    expect(html).toContain('<auditkit-log standalone></auditkit-log>');
    const linked = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]);
    // The element links its own sheets into its shadow root: the list in auditkit-log.js.
    const element = readFileSync(join(UI_DIR, 'auditkit-log.js'), 'utf8');
    const list = /const SHEETS = \[([^\]]*)\]/.exec(element)![1];
    const adopted = [...list.matchAll(/'([^']+\.css)'/g)].map((m) => m[1]);
    expect([...linked, ...adopted].sort()).toEqual([...SHEETS].sort());
    for (const f of [...SCRIPTS, ...SHEETS]) {
      const lines = readFileSync(join(UI_DIR, f), 'utf8').split('\n').length;
      expect({ f, short: lines < 300 }).toEqual({ f, short: true });
    }
  });

  it.each([
    ['at /', () => adminApp, ''],
    ['under the mount path', () => host, '/audit'],
  ])(
    'serves every module and sheet %s with its content type and the security headers',
    async (_where, app, prefix) => {
      for (const f of [...SCRIPTS, ...SHEETS]) {
        const res = await request(app().getHttpServer()).get(`${prefix}/${f}`).expect(200);
        expect(res.headers['content-type']).toBe(
          f.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        );
        expect(res.headers['content-security-policy']).toBe(
          "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        );
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['cache-control']).toBe('no-cache');
        expect(res.text).toBe(readFileSync(join(UI_DIR, f), 'utf8'));
      }
    },
  );

  it.each([
    '/audit/nope.js',
    '/audit/App.js',
    '/audit/app.css',
    '/audit/index.html',
    '/audit/../package.json',
    '/audit/..%2Fpackage.json',
    '/audit/%2e%2e/package.json',
    '/audit/%2e%2e%2fpackage.json',
    // Real files outside the ui folder, with the extensions the UI serves.
    '/audit/..%2Fdist%2Findex.js',
    '/audit/%2e%2e%2fdist%2findex.js',
    '/audit/..%2F..%2F..%2Fjest.config.js',
    '/audit/..%5Cdist%5Cindex.js',
    '/audit/.%2Fapp.js',
    '/audit/app.js%00.css',
  ])('answers 404 for %s, a name outside the allow-list', async (path) => {
    const res = await request(host.getHttpServer()).get(path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).not.toMatch(/javascript|css/);
  });

  it('answers 404 for the page and every module and sheet when the host turns the UI off', async () => {
    const server = hostWithoutUi.getHttpServer();
    await request(server).get('/audit/').expect(404);
    for (const f of [...SCRIPTS, ...SHEETS]) await request(server).get(`/audit/${f}`).expect(404);
    // The API itself is still there.
    await request(server).get('/audit/admin/v1/session').set('x-host-user', 'jane').expect(200);
  });

  it.each([
    ['at /', async () => `${adminBase}/#token=${await token()}`, {}],
    [
      'under the mount path',
      async () => `http://127.0.0.1:${port(host)}/audit/`,
      { 'x-host-user': 'jane' },
    ],
  ])(
    'loads in Chromium %s with no console error and no failed request, fetching every module',
    async (_where, url, headers: Record<string, string>) => {
      const context = await browser.newContext({ extraHTTPHeaders: headers });
      const page = await context.newPage();
      const problems: string[] = [];
      const fetched = new Set<string>();
      page.on('console', (m) => {
        // Chromium asks the origin, not the mount path, for /favicon.ico: that one is the host's.
        if (m.location().url.endsWith('/favicon.ico')) return;
        if (m.type() === 'error' || m.type() === 'warning')
          problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) =>
        problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`),
      );
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
        const name = new URL(r.url()).pathname.split('/').pop()!;
        if (r.ok() && /\.(js|css)$/.test(name)) fetched.add(name);
      });
      await page.goto(await url());
      await expect(page.locator('tbody tr').first().textContent()).resolves.toContain(
        'Jane Doe created the group jira-admins',
      );
      await page.waitForFunction(
        () =>
          !document
            .querySelector('auditkit-log')!
            .shadowRoot!.querySelector('#integrity-badge.is-loading'),
      );
      // The badge and the filter list come from the API too: wait until nothing is in flight.
      await page.waitForLoadState('networkidle');
      expect(problems).toEqual([]);
      expect([...fetched].sort()).toEqual([...SCRIPTS, ...SHEETS].sort());
      await context.close();
    },
  );

  function token(): Promise<string> {
    return signAuditToken(
      { sub: 'u-1', name: 'Jane Doe', email: 'jane@acme.test', orgs: { acme: ['org-admin'] } },
      SECRET,
      600,
    );
  }

  function port(app: INestApplication): number {
    return (app.getHttpServer().address() as AddressInfo).port;
  }
});
