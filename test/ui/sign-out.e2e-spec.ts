import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import request from 'supertest';
import { ApiExceptionFilter, signAuditToken } from '@auditkit/nestjs/admin';
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

const SECRET = 'ui-sign-out-secret-ui-sign-out-secret-0123';

describe('signing out of the web UI in Chromium', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: db.url,
      AUDITKIT_JWT_SECRET: SECRET,
      AUDITKIT_DATA_DIR: join(db.url.slice('sqlite:'.length), '..'),
      AUDITKIT_SCHEDULER: 'false',
      PORT: String(port),
    });
    app = await NestFactory.create(AdminAppModule.forConfig(config), {
      bodyParser: false,
      logger: ['error'],
    });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.drop();
  });

  it('ends the session on the server: a copy of the cookie taken before is refused', async () => {
    const token = await signAuditToken(
      { sub: 'u-1', name: 'Jane Doe', email: 'jane@acme.test', orgs: { acme: ['org-admin'] } },
      SECRET,
      600,
    );
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/#token=${token}`);
    await page.getByRole('button', { name: 'Sign out' }).first().waitFor();
    const captured = (await context.cookies())
      .filter((c) => c.name.startsWith('auditkit_'))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    expect(captured).toContain('auditkit_session=');
    await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Cookie', captured)
      .expect(200);

    const ended = page.waitForResponse(
      (r) => r.url().endsWith('/admin/v1/session') && r.request().method() === 'DELETE',
    );
    await page.getByRole('button', { name: 'Sign out' }).first().click();
    expect((await ended).status()).toBe(204);
    await page.getByText('You have signed out.').waitFor();

    await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Cookie', captured)
      .expect(401);
    await context.close();
  });
});
