import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import {
  AuditDestinationsModule,
  AuditDestinationsModuleOptions,
} from '@auditkit/nestjs/destinations';
import { SECRET } from '../../api/api-harness';
import { CaptureLogger } from '../../support/capture-logger';
import type { TestDatabase } from '../../support/databases';

/** The key destination secrets are sealed with in the tests. */
export const DESTINATIONS_KEY = 'auditkit-destinations-e2e-key-0123456789';

/** Fast settings, so a test sees retries and pauses in well under a second. */
export const FAST: Partial<AuditDestinationsModuleOptions> = {
  pollIntervalMs: 20,
  backoffMinMs: 20,
  backoffMaxMs: 100,
  timeoutMs: 1000,
  leaseMs: 3000,
};

export interface DestinationsApp {
  app: INestApplication;
  server: Server;
  audit: AuditService;
  logs: CaptureLogger;
  close(): Promise<void>;
}

/** The admin API and the destinations module on `databaseUrl`, as the admin app wires them. */
export async function startDestinationsApp(
  databaseUrl: string,
  options: Partial<AuditDestinationsModuleOptions> = {},
): Promise<DestinationsApp> {
  const logs = new CaptureLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl }),
      AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
      AuditDestinationsModule.forRoot({ encryptionKey: DESTINATIONS_KEY, ...FAST, ...options }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: logs });
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.init();
  return {
    app,
    server: app.getHttpServer(),
    audit: app.get(AuditService),
    logs,
    close: () => app.close(),
  };
}

/** A connection of the test's own to the suite's database, for reading rows directly. */
export async function openDatabase(db: TestDatabase): Promise<DataSource> {
  const ds = new DataSource(
    db.kind === 'sqlite'
      ? { type: 'better-sqlite3', database: db.url.slice('sqlite:'.length) }
      : { type: 'mysql', url: db.url },
  );
  return ds.initialize();
}
