import { Controller, INestApplication, Post, UseInterceptors } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Audit, AuditInterceptor, AuditLogModule, AuditService } from '@auditkit/nestjs';
import { createTestDatabase, TestDatabase } from '../support/databases';

@Controller('orgs/:orgId/groups')
class GroupsController {
  @Post()
  @Audit('group_created', { targets: () => ({ id: 'g-1', type: 'group' }) })
  create() {
    return { id: 'g-1' };
  }
}

@Controller('orgs/:orgId/policies')
@UseInterceptors(AuditInterceptor)
class PoliciesController {
  @Post()
  @Audit('policy_created', { targets: () => ({ id: 'p-1', type: 'policy' }) })
  create() {
    return { id: 'p-1' };
  }
}

type Setup = 'forRoot' | 'forRoot, globalInterceptor: false' | 'forRootAsync, factory says false';

/**
 * `globalInterceptor` decides whether `@Audit()` handlers are recorded without
 * `@UseInterceptors`, and whether every route of the app pays for an app-wide interceptor.
 */
describe('globalInterceptor', () => {
  let db: TestDatabase;
  let current: INestApplication | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });

  afterAll(async () => {
    await current?.close();
    await db?.drop();
  });

  async function start(setup: Setup): Promise<{ app: INestApplication; dataSource: DataSource }> {
    const auditLog =
      setup === 'forRoot'
        ? AuditLogModule.forRoot({ databaseUrl: db.url })
        : setup === 'forRoot, globalInterceptor: false'
          ? AuditLogModule.forRoot({ databaseUrl: db.url, globalInterceptor: false })
          : AuditLogModule.forRootAsync({
              useFactory: () => ({ databaseUrl: db.url, globalInterceptor: false }),
            });
    const moduleRef = await Test.createTestingModule({
      imports: [auditLog],
      controllers: [GroupsController, PoliciesController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.use((req: any, _res: unknown, next: () => void) => {
      req.user = { id: 'u-1', name: 'Jane Doe' };
      next();
    });
    await app.init();
    // One app at a time on the SQLite file.
    await current?.close();
    current = app;
    return { app, dataSource: app.get(AuditService)['store']['dataSource'] };
  }

  const recorded = async (dataSource: DataSource, action: string) =>
    (
      await dataSource.query('SELECT COUNT(*) AS n FROM auditkit_events WHERE action = ?', [action])
    )[0].n;

  it('on by default: @Audit handlers are recorded without @UseInterceptors', async () => {
    const { app, dataSource } = await start('forRoot');
    const before = Number(await recorded(dataSource, 'group_created'));
    await request(app.getHttpServer()).post('/orgs/acme/groups').expect(201);
    expect(Number(await recorded(dataSource, 'group_created'))).toBe(before + 1);
    expect(app.get(ApplicationConfig).getGlobalInterceptors()).toHaveLength(1);
  });

  it.each<Setup>(['forRoot, globalInterceptor: false', 'forRootAsync, factory says false'])(
    '%s: only handlers under @UseInterceptors(AuditInterceptor) are recorded, once',
    async (setup) => {
      const { app, dataSource } = await start(setup);
      const groups = Number(await recorded(dataSource, 'group_created'));
      const policies = Number(await recorded(dataSource, 'policy_created'));
      await request(app.getHttpServer()).post('/orgs/acme/groups').expect(201);
      await request(app.getHttpServer()).post('/orgs/acme/policies').expect(201);
      expect(Number(await recorded(dataSource, 'group_created'))).toBe(groups);
      expect(Number(await recorded(dataSource, 'policy_created'))).toBe(policies + 1);
      // Known up front, nothing runs app-wide; from a factory, a pass-through must.
      expect(app.get(ApplicationConfig).getGlobalInterceptors()).toHaveLength(
        setup.startsWith('forRootAsync') ? 1 : 0,
      );
    },
  );
});
