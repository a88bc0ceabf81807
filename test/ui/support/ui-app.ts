import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Browser, chromium } from 'playwright-core';
import { AuditLogModule } from '@auditkit/nestjs';
import {
  ApiExceptionFilter,
  AuditAdminModule,
  AuditAdminModuleOptions,
  signAuditToken,
} from '@auditkit/nestjs/admin';
import { createTestDatabase } from '../../support/databases';

/** The admin plugin on a SQLite file, on loopback, with Debian's Chromium beside it. */
export interface UiApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`, the UI at `/`. */
  base: string;
  browser: Browser;
  /** A token of Jane Doe for `orgs`, signed with the app's secret. */
  token(orgs: Record<string, string[]>): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts what a web UI suite needs; `secret` signs its tokens and cursors; `admin` adds options
 * of the admin plugin (e.g. `viewer`).
 */
export async function startUiApp(
  secret: string,
  admin: Partial<AuditAdminModuleOptions> = {},
): Promise<UiApp> {
  const db = await createTestDatabase('sqlite');
  @Module({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
      AuditAdminModule.forRoot({ ...admin, jwt: { secret }, secret }),
    ],
  })
  class UiModule {}
  const app = await NestFactory.create(UiModule, { bodyParser: false, logger: ['error'] });
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.listen(0, '127.0.0.1');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    app,
    base: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    browser,
    token: (orgs) =>
      signAuditToken({ sub: 'u-1', name: 'Jane Doe', email: 'jane@acme.test', orgs }, secret, 600),
    close: async () => {
      await browser.close();
      await app.close();
      await db.drop();
    },
  };
}
