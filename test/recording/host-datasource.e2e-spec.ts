import { Body, Controller, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  Audit,
  auditDataSourceOptions,
  AuditLogModule,
  auditLogEntities,
  auditLogMigrations,
} from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';

@Controller('orgs/:orgId/groups')
class GroupsController {
  @Post()
  @Audit<{ id: string; name: string }>('group_created', {
    targets: ({ result }) => ({ id: result!.id, type: 'group', name: result!.name }),
  })
  create(@Body() body: { name: string }) {
    return { id: 'g-1', name: body.name };
  }
}

describe.each(DATABASES)("reusing the host's TypeORM DataSource on %s", (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        // The host's own connection, as @nestjs/typeorm sets it up; the audit log borrows it.
        TypeOrmModule.forRoot({
          ...auditDataSourceOptions(db.url),
          entities: [...auditLogEntities],
        }),
        AuditLogModule.forRootAsync({
          inject: [DataSource],
          useFactory: (ds: DataSource) => ({ dataSource: ds }),
        }),
      ],
      controllers: [GroupsController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.use((req: { user?: unknown }, _res: unknown, next: () => void) => {
      req.user = { id: 'u-1', name: 'Jane Doe' };
      next();
    });
    await app.init();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('records through the host connection, with the migrations applied to it', async () => {
    await request(app.getHttpServer())
      .post('/orgs/acme/groups')
      .send({ name: 'jira-admins' })
      .expect(201);
    const rows = await dataSource.query('SELECT action, targets FROM auditkit_events');
    expect(rows).toEqual([
      { action: 'group_created', targets: '[{"id":"g-1","type":"group","name":"jira-admins"}]' },
    ]);
    const migrations = await dataSource.query('SELECT name FROM auditkit_migrations');
    // Every migration of the library, whatever order the table lists them in.
    expect(migrations.map((m: { name: string }) => m.name).sort()).toEqual(
      auditLogMigrations.map((Migration) => new Migration().name).sort(),
    );
  });

  it('leaves the host connection open: closing it is the host module’s job', async () => {
    const ds = dataSource;
    await app.close();
    // @nestjs/typeorm closed its DataSource on shutdown; AuditLogModule did not try to first.
    expect(ds.isInitialized).toBe(false);
    app = undefined as unknown as INestApplication;
  });
});
