import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { AuditExportModule } from '@auditkit/nestjs/export';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { forgetQueues, tempDir, uniqueQueue } from '../export/support/export-app';
import { SECRET } from './api-harness';

export { SECRET };

const REDIS_URL = process.env.AUDITKIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every write route of the admin app, booted as `apps/admin/src/main.ts` boots it. */
export interface WriteRoutesHarness {
  app: INestApplication;
  server: Server;
  audit: AuditService;
  close(): Promise<void>;
}

/**
 * The admin plugin and the export module on a fresh MariaDB database, with the app's own body
 * parsing (`bodyParser: false`) and error filter. Exports are only queued (on Redis): no
 * worker runs them, so hostile filters never reach a CSV.
 */
export async function startWriteRoutes(): Promise<WriteRoutesHarness> {
  const db: TestDatabase = await createTestDatabase('mariadb');
  const storageDir = tempDir('hostile-exports');
  let app: INestApplication | undefined;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
        AuditExportModule.forRoot({
          publicUrl: 'http://auditkit.test',
          linkSecret: 'hostile-tests-link-secret-0123456789abcdef',
          redisUrl: REDIS_URL,
          worker: false,
          cleanup: false,
          storageDir,
          queue: { ...uniqueQueue('hostile'), recoveryIntervalMs: 0 },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({
      bodyParser: false,
      logger: process.env.AUDITKIT_TEST_LOGS ? undefined : false,
    });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
  } catch (err) {
    await app?.close();
    await db.drop();
    rmSync(storageDir, { recursive: true, force: true });
    throw err;
  }
  const opened = app;
  return {
    app: opened,
    server: opened.getHttpServer(),
    audit: opened.get(AuditService),
    close: async () => {
      await opened.close();
      await forgetQueues(REDIS_URL);
      await db.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}
