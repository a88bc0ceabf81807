import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AuditLogModule,
  AuditService,
  auditDataSourceOptions,
  verifyEventChain,
} from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { TcpProxy } from '../support/tcp-proxy';
import { SECRET, tokenFor } from './api-harness';

// "Retry with the same Idempotency-Key" must work after any failure: the database cut before or
// after the key was claimed, a COMMIT whose answer was lost, a process that stopped between
// claiming the key and writing the event. Each retry stores the event, or replays the stored
// one; never a key stuck "in progress".

const body = (name: string) => ({
  action: 'group_created',
  actor: { id: 'u-1', type: 'user', name: 'Jane Doe' },
  targets: [{ id: `g-${name}`, type: 'group', name }],
});

describe('retrying POST events with an Idempotency-Key (MariaDB behind a TCP proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let reader: DataSource;
  let writer: string;
  const opened: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    const server = new URL(MYSQL_URL);
    proxy = await TcpProxy.start(Number(server.port || 3306), server.hostname);
    reader = new DataSource(auditDataSourceOptions(db.url));
    await reader.initialize();
    const orgs = ['cut-before-claim', 'cut-after-claim', 'lost-ack', 'stopped', 'racing'];
    writer = await tokenFor(Object.fromEntries(orgs.map((o) => [o, ['site-admin']])), {
      scope: 'events:write',
      sub: 'svc',
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    proxy.restore();
    while (opened.length) await opened.pop()!.close();
  });

  afterAll(async () => {
    await proxy?.close();
    await reader?.destroy();
    await db?.drop();
  });

  async function startApp() {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: proxy.urlFor(db.url) }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    opened.push(app);
    const post = (orgId: string, key: string, name: string) =>
      request(app.getHttpServer())
        .post(`/admin/v1/orgs/${orgId}/events`)
        .set('Authorization', `Bearer ${writer}`)
        .set('Idempotency-Key', key)
        .send(body(name));
    return { app, post, audit: app.get(AuditService) };
  }

  /** The org's events by target name, each with its id and seq; seqs gap-free, chain verified. */
  async function stored(orgId: string): Promise<{ id: string; seq: number; name: string }[]> {
    const rows = (
      await reader.query(
        'SELECT id, seq, targets FROM auditkit_events WHERE org_id = ? ORDER BY seq',
        [orgId],
      )
    ).map((r: { id: string; seq: number | string; targets: string }) => ({
      id: r.id,
      seq: Number(r.seq),
      name: JSON.parse(r.targets)[0].name as string,
    }));
    expect(rows.map((r: { seq: number }) => r.seq)).toEqual(
      rows.map((_: unknown, i: number) => i + 1),
    );
    expect(await verifyEventChain(reader, orgId)).toMatchObject({ ok: true, checked: rows.length });
    return rows;
  }

  function expectUnavailable(res: request.Response): void {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(res.body.errors[0]).toMatchObject({ status: '503', code: 'service_unavailable' });
  }

  it('stores the event on the retry after the database was cut before the key was claimed', async () => {
    const { post } = await startApp();
    const orgId = 'cut-before-claim';
    await post(orgId, 'first', 'first').expect(201);

    proxy.cut();
    expectUnavailable(await post(orgId, 'k-1', 'during'));
    proxy.restore();
    const retry = await post(orgId, 'k-1', 'during').expect(201);
    await post(orgId, 'k-1', 'during').expect(200);

    expect((await stored(orgId)).map((r) => [r.name, r.id])).toEqual([
      ['first', expect.any(String)],
      ['during', retry.body.data.id],
    ]);
  });

  it('stores the event on the retry after the database was cut between the claim and the write', async () => {
    const { post, audit } = await startApp();
    const orgId = 'cut-after-claim';
    await post(orgId, 'first', 'first').expect(201);

    // The key is claimed (committed); the connection goes before the event is written, and the
    // claim cannot be released either.
    const recordPrepared = audit.recordPrepared.bind(audit);
    jest.spyOn(audit, 'recordPrepared').mockImplementationOnce((event, options) => {
      proxy.cut();
      return recordPrepared(event, options);
    });
    expectUnavailable(await post(orgId, 'k-2', 'during'));
    const [claim] = await reader.query(
      'SELECT event_id FROM auditkit_idempotency_keys WHERE org_id = ? AND idem_key = ?',
      [orgId, 'k-2'],
    );
    expect(claim).toBeDefined();

    proxy.restore();
    const retry = await post(orgId, 'k-2', 'during').expect(201);
    // The event keeps the id the key was claimed for, so any attempt finds it.
    expect(retry.body.data.id).toBe(claim.event_id);
    const replay = await post(orgId, 'k-2', 'during').expect(200);
    expect(replay.body).toEqual(retry.body);
    // Another body under that key is still refused.
    await post(orgId, 'k-2', 'other').expect(409);

    expect((await stored(orgId)).map((r) => [r.name, r.id])).toEqual([
      ['first', expect.any(String)],
      ['during', claim.event_id],
    ]);
  });

  it('stores the event once when the answer to its COMMIT was lost and the client retries', async () => {
    const { post } = await startApp();
    const orgId = 'lost-ack';
    await post(orgId, 'first', 'first').expect(201);

    proxy.loseNextCommitAck();
    expectUnavailable(await post(orgId, 'k-3', 'in-doubt'));
    proxy.restore();
    // The server did commit it: the retry finds it.
    const retry = await post(orgId, 'k-3', 'in-doubt');
    expect([200, 201]).toContain(retry.status);

    const rows = await stored(orgId);
    expect(rows.map((r) => r.name)).toEqual(['first', 'in-doubt']);
    expect(retry.body.data.id).toBe(rows[1].id);
  });

  it('stores the event when the process that claimed the key stopped before writing it', async () => {
    const first = await startApp();
    const orgId = 'stopped';
    await first.post(orgId, 'first', 'first').expect(201);

    // The claiming process stops for good between the claim and the write: its request never
    // gets an answer, and nothing of its event reaches the database.
    jest.spyOn(first.audit, 'recordPrepared').mockImplementationOnce(() => new Promise(() => {}));
    await expect(first.post(orgId, 'k-4', 'orphan').timeout(500)).rejects.toThrow(/timeout/i);
    await first.app.close();
    opened.splice(opened.indexOf(first.app), 1);
    const [claim] = await reader.query(
      'SELECT event_id FROM auditkit_idempotency_keys WHERE org_id = ? AND idem_key = ?',
      [orgId, 'k-4'],
    );
    expect(claim).toBeDefined();

    // The client retries against another instance.
    const second = await startApp();
    const retry = await second.post(orgId, 'k-4', 'orphan').expect(201);
    expect(retry.body.data.id).toBe(claim.event_id);
    await second.post(orgId, 'k-4', 'orphan').expect(200);
    expect((await stored(orgId)).map((r) => r.name)).toEqual(['first', 'orphan']);
  });

  it('shares one write between retries racing a first attempt still in flight', async () => {
    const { post } = await startApp();
    const orgId = 'racing';
    // Everything at once in one process: the first claims the key, the others find the claim
    // before its event is stored and must neither wait for a 409 nor write a second event.
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(orgId, 'k-5', 'raced')),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    expect(new Set(responses.map((r) => r.body.data.id)).size).toBe(1);
    expect((await stored(orgId)).map((r) => r.name)).toEqual(['raced']);
  });
});
