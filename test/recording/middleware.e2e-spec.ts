import { ConsoleLogger, Logger } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  auditDataSourceOptions,
  auditMiddleware,
  createAuditLog,
  StandaloneAuditLog,
} from '@auditkit/nestjs';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';

function signedIn(req: Request, _res: Response, next: NextFunction) {
  (req as Request & { user?: unknown }).user = {
    id: 'u-1',
    name: 'Jane Doe',
    email: 'jane@acme.test',
  };
  next();
}

describe.each(DATABASES)('auditMiddleware on a plain Express app on %s', (kind) => {
  let db: TestDatabase;
  let audit: StandaloneAuditLog;
  let reader: DataSource;
  let app: express.Express;
  const logs = new CaptureLogger();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    audit = await createAuditLog({ databaseUrl: db.url });
    Logger.overrideLogger(logs);
    // A connection of the test's own, to see what another process would see.
    reader = new DataSource(auditDataSourceOptions(db.url));
    await reader.initialize();

    app = express();
    app.post(
      '/orgs/:orgId/groups',
      express.json(),
      signedIn,
      auditMiddleware(audit.service, 'group_created', {
        targets: ({ result }) => ({ id: result.id, type: 'group', name: result.name }),
        metadata: ({ body }) => ({ requestedName: body.name, password: body.password }),
      }),
      (req, res) => {
        res.status(201).json({ id: `g-${req.body.name}`, name: req.body.name });
      },
    );
    app.post(
      '/orgs/:orgId/groups/:groupId/members',
      express.json(),
      signedIn,
      audit.middleware('user_added_to_group', {
        targets: ({ params, body }) => [
          { id: body.userId, type: 'user', name: body.userName },
          { id: params.groupId, type: 'group', name: params.groupId },
        ],
      }),
      (req, res) => {
        if (req.params.groupId === 'missing') {
          res.status(404).json({ error: 'No such group' });
          return;
        }
        if (req.params.groupId === 'boom') throw new Error('handler exploded');
        res.json({ ok: true });
      },
    );
    app.delete(
      '/orgs/:orgId/groups/:groupId',
      signedIn,
      auditMiddleware(audit.service, 'group_deleted', { recordFailures: false }),
      (_req, res) => {
        res.status(403).send('Forbidden');
      },
    );
    app.put(
      '/orgs/:orgId/groups/:groupId',
      express.json(),
      signedIn,
      auditMiddleware(audit.service, 'group_renamed', {
        targets: ({ params }) => ({ id: params.groupId, type: 'group', name: params.groupId }),
      }),
      async () => {
        throw Object.assign(new Error('Name taken'), { status: 409 });
      },
    );
    // No signedIn: the event has no actor, so it cannot be recorded.
    app.post(
      '/orgs/:orgId/anonymous',
      auditMiddleware(audit.service, 'group_created'),
      (_req, res) => {
        res.status(201).json({ created: true });
      },
    );
    app.use(
      (err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
        res.status(err.status ?? 500).json({ error: err.message });
      },
    );
  });

  afterAll(async () => {
    await audit?.close();
    await reader?.destroy();
    await db?.drop();
    Logger.overrideLogger(new ConsoleLogger());
  });

  const rows = (orgId: string) =>
    reader.query('SELECT * FROM auditkit_events WHERE org_id = ? ORDER BY seq', [orgId]);

  it('stores each event before its response is sent', async () => {
    const orgId = 'acme';
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const name = `group-${i}`;
        const res = await request(app).post(`/orgs/${orgId}/groups`).send({ name, password: 'pw' });
        // Looked up the moment this response has arrived, from another connection.
        const stored = (await rows(orgId)).filter(
          (r: any) => JSON.parse(r.targets)[0].name === name,
        );
        return { status: res.status, body: res.body, name, stored };
      }),
    );
    for (const r of results) {
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ id: `g-${r.name}`, name: r.name });
      expect(r.stored).toHaveLength(1);
      expect(r.stored[0].action).toBe('group_created');
      expect(r.stored[0].outcome).toBe('success');
      expect(r.stored[0].actor_name).toBe('Jane Doe');
      expect(JSON.parse(r.stored[0].metadata)).toEqual({
        requestedName: r.name,
        password: '[REDACTED]',
      });
    }
    const all = await rows(orgId);
    expect(all).toHaveLength(40);
    expect(all.map((r: any) => Number(r.seq))).toEqual(all.map((_: unknown, i: number) => i + 1));
  });

  it('records outcome failure for a status of 400 or more, passing the response through', async () => {
    const orgId = 'failures';
    const res = await request(app)
      .post(`/orgs/${orgId}/groups/missing/members`)
      .send({ userId: 'u-9', userName: 'Bob Li' })
      .expect(404);
    expect(res.body).toEqual({ error: 'No such group' });
    const [row] = await rows(orgId);
    expect(row.action).toBe('user_added_to_group');
    expect(row.outcome).toBe('failure');
    expect(JSON.parse(row.metadata)).toEqual({ error: { status: 404 } });
    expect(JSON.parse(row.targets)).toEqual([
      { id: 'u-9', type: 'user', name: 'Bob Li' },
      { id: 'missing', type: 'group', name: 'missing' },
    ]);
  });

  it('records a handler that throws (Express answers 500) as a failure', async () => {
    const orgId = 'thrown';
    await request(app)
      .post(`/orgs/${orgId}/groups/boom/members`)
      .send({ userId: 'u-9', userName: 'Bob Li' })
      .expect(500);
    const [row] = await rows(orgId);
    expect(row.outcome).toBe('failure');
    expect(JSON.parse(row.metadata)).toEqual({ error: { status: 500 } });
  });

  it("records a rejected async handler answered by the app's error handler", async () => {
    const orgId = 'async-thrown';
    const res = await request(app)
      .put(`/orgs/${orgId}/groups/g-7`)
      .send({ name: 'taken' })
      .expect(409);
    expect(res.body).toEqual({ error: 'Name taken' });
    const [row] = await rows(orgId);
    expect(row.action).toBe('group_renamed');
    expect(row.outcome).toBe('failure');
    expect(JSON.parse(row.targets)).toEqual([{ id: 'g-7', type: 'group', name: 'g-7' }]);
    expect(JSON.parse(row.metadata)).toEqual({ error: { status: 409 } });
  });

  it('records success with the route params and body', async () => {
    const orgId = 'members';
    await request(app)
      .post(`/orgs/${orgId}/groups/jira-admins/members`)
      .send({ userId: 'u-9', userName: 'Bob Li' })
      .expect(200);
    const [row] = await rows(orgId);
    expect(row.outcome).toBe('success');
    expect(row.ip).toMatch(/127\.0\.0\.1|::1/);
  });

  it('records nothing for a failure when recordFailures is false', async () => {
    const orgId = 'no-failures';
    await request(app).delete(`/orgs/${orgId}/groups/g-1`).expect(403).expect('Forbidden');
    expect(await rows(orgId)).toHaveLength(0);
  });

  it('answers 503 and logs why when the event cannot be recorded (fail-closed)', async () => {
    logs.clear();
    const res = await request(app).post('/orgs/anon/anonymous').send({}).expect(503);
    expect(res.body).toEqual({
      statusCode: 503,
      message: 'The activity could not be recorded in the audit log. Try again.',
    });
    expect(await rows('anon')).toHaveLength(0);
    expect(
      logs.find(/Activity group_created could not be recorded; answering 503: .*actor/, 'error'),
    ).toHaveLength(1);
  });
});
