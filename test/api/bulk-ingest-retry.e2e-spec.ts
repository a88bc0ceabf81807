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

// A bulk retried with its Idempotency-Key after any failure stores every valid item exactly
// once: the database cut before or after the key was claimed, or the answer to the COMMIT lost.

const N = 200;
const body = (name: string) => ({
  events: Array.from({ length: N }, (_, i) => ({
    action: 'group_created',
    actor: { id: 'u-1', type: 'user', name: 'Jane Doe' },
    targets: [{ id: `g-${name}-${i}`, type: 'group', name: `${name}-${i}` }],
  })),
});

describe('retrying POST events/bulk with an Idempotency-Key (MariaDB behind a TCP proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let reader: DataSource;
  let writer: string;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    const server = new URL(MYSQL_URL);
    proxy = await TcpProxy.start(Number(server.port || 3306), server.hostname);
    reader = new DataSource(auditDataSourceOptions(db.url));
    await reader.initialize();
    const orgs = ['cut-before-claim', 'cut-after-claim', 'lost-ack'];
    writer = await tokenFor(Object.fromEntries(orgs.map((o) => [o, ['site-admin']])), {
      scope: 'events:write',
      sub: 'svc',
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    proxy.restore();
    await app?.close();
    app = undefined;
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
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    const server = app.getHttpServer();
    const post = (orgId: string, key: string, name: string) =>
      request(server)
        .post(`/admin/v1/orgs/${orgId}/events/bulk`)
        .set('Authorization', `Bearer ${writer}`)
        .set('Idempotency-Key', key)
        .send(body(name));
    return { post, audit: app.get(AuditService) };
  }

  /** The org's events by target name; seqs gap-free, chain verified. */
  async function stored(orgId: string): Promise<{ id: string; name: string }[]> {
    const rows: { id: string; seq: string | number; targets: string }[] = await reader.query(
      'SELECT id, seq, targets FROM auditkit_events WHERE org_id = ? ORDER BY seq',
      [orgId],
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(await verifyEventChain(reader, orgId)).toMatchObject({ ok: true, checked: rows.length });
    return rows.map((r) => ({ id: r.id, name: JSON.parse(r.targets)[0].name as string }));
  }

  const names = (name: string) => body(name).events.map((e) => e.targets[0].name);

  function expectUnavailable(res: request.Response): void {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(res.body.errors[0]).toMatchObject({ status: '503', code: 'service_unavailable' });
  }

  it('stores every item on the retry after the database was cut before the key was claimed', async () => {
    const { post } = await startApp();
    const orgId = 'cut-before-claim';
    await post(orgId, 'first', 'first').expect(201);
    proxy.cut();
    expectUnavailable(await post(orgId, 'k-1', 'during'));
    proxy.restore();
    const retry = await post(orgId, 'k-1', 'during').expect(201);
    const replay = await post(orgId, 'k-1', 'during').expect(200);
    expect(replay.body).toEqual(retry.body);
    const rows = await stored(orgId);
    expect(rows.map((r) => r.name)).toEqual([...names('first'), ...names('during')]);
    expect(rows.slice(N).map((r) => r.id)).toEqual(retry.body.data.map((d: any) => d.id));
  });

  it('stores every item once on the retry after the database was cut between the claim and the commit', async () => {
    const { post, audit } = await startApp();
    const orgId = 'cut-after-claim';
    await post(orgId, 'first', 'first').expect(201);
    const recordAll = audit.recordAll.bind(audit);
    jest.spyOn(audit, 'recordAll').mockImplementationOnce((events, options) => {
      proxy.cut();
      return recordAll(events, options);
    });
    expectUnavailable(await post(orgId, 'k-2', 'during'));
    const [claim] = await reader.query(
      'SELECT event_id FROM auditkit_idempotency_keys WHERE org_id = ? AND idem_key = ?',
      [orgId, 'k-2'],
    );
    expect(claim).toBeDefined();
    expect((await stored(orgId)).length).toBe(N);

    proxy.restore();
    const retry = await post(orgId, 'k-2', 'during').expect(201);
    // The ids are the ones the key was claimed for: the first item's is the claim's.
    expect(retry.body.data[0].id).toBe(claim.event_id);
    expect((await post(orgId, 'k-2', 'during').expect(200)).body).toEqual(retry.body);
    await post(orgId, 'k-2', 'other').expect(409);
    expect((await stored(orgId)).map((r) => r.name)).toEqual([
      ...names('first'),
      ...names('during'),
    ]);
  });

  it('stores every item once when the answer to its COMMIT was lost and the client retries', async () => {
    const { post } = await startApp();
    const orgId = 'lost-ack';
    await post(orgId, 'first', 'first').expect(201);
    proxy.loseNextCommitAck();
    expectUnavailable(await post(orgId, 'k-3', 'in-doubt'));
    proxy.restore();
    // The server did commit them: the retry finds them all, and writes none.
    const retry = await post(orgId, 'k-3', 'in-doubt').expect(200);
    const rows = await stored(orgId);
    expect(rows.map((r) => r.name)).toEqual([...names('first'), ...names('in-doubt')]);
    expect(retry.body.data.map((d: any) => d.id)).toEqual(rows.slice(N).map((r) => r.id));
    expect(retry.body.meta).toEqual({ stored: N, rejected: 0 });
  });
});
