import { Body, Controller, INestApplication, NotFoundException, Param, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Audit, AuditLogModule, AuditService } from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';

@Controller('orgs/:orgId/groups')
class GroupsController {
  @Post()
  @Audit<{ id: string; name: string }>('group_created', {
    targets: ({ result }) => ({ id: result!.id, type: 'group', name: result!.name }),
    site: () => ({ id: 's-1', name: 'acme.atlassian.test' }),
  })
  create(@Body() body: { name: string }) {
    return { id: 'g-' + body.name.length, name: body.name };
  }

  @Post(':groupId/members')
  @Audit('user_added_to_group', {
    targets: ({ params, body }) => [
      { id: body.userId, type: 'user', name: body.userName },
      { id: params.groupId, type: 'group', name: 'jira-admins' },
    ],
  })
  addMember(@Param('groupId') groupId: string) {
    if (groupId === 'missing') throw new NotFoundException('No such group');
    return { ok: true };
  }
}

describe.each(DATABASES)('@Audit decorator on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [AuditLogModule.forRoot({ databaseUrl: db.url })],
      controllers: [GroupsController],
    }).compile();
    app = moduleRef.createNestApplication();
    app.use((req: any, _res: any, next: () => void) => {
      req.user = { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' };
      next();
    });
    await app.init();
    dataSource = app.get(AuditService)['store']['dataSource'];
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const events = () => dataSource.query('SELECT * FROM auditkit_events ORDER BY seq');

  it('records one complete event per call, committed before the response', async () => {
    const name = `=cmd|' /C calc'!A0 "quoted" 😀\nnew line`;
    const res = await request(app.getHttpServer())
      .post('/orgs/acme/groups')
      .set('user-agent', 'jest-agent')
      .send({ name })
      .expect(201);
    expect(res.body.name).toBe(name);
    const rows = await events();
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row.org_id).toBe('acme');
    expect(Number(row.seq)).toBe(1);
    expect(row.action).toBe('group_created');
    expect(row.category).toBe('groups');
    expect(row.actor_id).toBe('u-1');
    expect(row.actor_name).toBe('Jane Doe');
    expect(JSON.parse(row.targets)).toEqual([{ id: res.body.id, type: 'group', name }]);
    expect(row.site_name).toBe('acme.atlassian.test');
    expect(row.user_agent).toBe('jest-agent');
    expect(row.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(row.outcome).toBe('success');
  });

  it('records a failure and passes the error through unchanged', async () => {
    const res = await request(app.getHttpServer())
      .post('/orgs/acme/groups/missing/members')
      .send({ userId: 'u-9', userName: 'Bob Li' })
      .expect(404);
    expect(res.body).toEqual({ statusCode: 404, message: 'No such group', error: 'Not Found' });
    const rows = await events();
    const last = rows[rows.length - 1];
    expect(last.action).toBe('user_added_to_group');
    expect(last.outcome).toBe('failure');
    expect(JSON.parse(last.metadata)).toEqual({ error: { status: 404 } });
  });

  it('keeps exactly one event per request under 200 concurrent requests, seq without gaps', async () => {
    const before = (await events()).length;
    const server = app.getHttpServer();
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        request(server)
          .post('/orgs/acme/groups/g-1/members')
          .send({ userId: `u-${i}`, userName: `User ${i}` }),
      ),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    const rows = await events();
    expect(rows).toHaveLength(before + 200);
    expect(rows.map((r: any) => Number(r.seq))).toEqual(rows.map((_: unknown, i: number) => i + 1));
    const users = rows
      .slice(before)
      .map((r: any) => JSON.parse(r.targets)[0].id)
      .sort();
    expect(new Set(users).size).toBe(200);
  });
});
