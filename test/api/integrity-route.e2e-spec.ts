import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  auditDataSourceOptions,
  AuditLogModule,
  AuditService,
  IntegrityService,
  keyIdOf,
  parsePublicKey,
} from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { ed25519Pem } from '../integrity/support/integrity-fixture';
import { SECRET, tokenFor } from './api-harness';

// GET /admin/v1/orgs/{org}/integrity for org admins only, and the public keys for anyone.

describe.each(DATABASES)('integrity routes on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  let raw: DataSource;
  const key = ed25519Pem();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({
          isGlobal: true,
          databaseUrl: db.url,
          integrity: { signingKey: key.privateKey, schedule: false },
        }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    const audit = app.get(AuditService);
    for (let i = 0; i < 6; i++) await audit.record(groupCreated('acme', `g${i}`));
    await app.get(IntegrityService).checkpoint('acme');
    await audit.record(groupCreated('acme', 'after'));
    raw = await new DataSource(auditDataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await app?.close();
    await raw?.destroy();
    await db?.drop();
  });

  const get = async (path: string, orgs?: Record<string, string[]>) => {
    const r = request(app.getHttpServer()).get(path);
    if (orgs) r.set('Authorization', `Bearer ${await tokenFor(orgs)}`);
    return r;
  };

  it('reports the chain verified through its signed checkpoint', async () => {
    const res = await get('/admin/v1/orgs/acme/integrity', { acme: ['org-admin'] });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id: 'acme',
      type: 'integrity',
      attributes: {
        status: 'verified',
        ok: true,
        checkedEvents: 7,
        headSeq: 7,
        unsignedEvents: 1,
        verifiedThrough: { seq: 6, kind: 'manual', signed: true },
        latestCheckpoint: { seq: 6 },
        lastPurgeCheckpoint: null,
        signaturesChecked: true,
        problems: [],
      },
    });
  });

  it('reports the first problem at its seq', async () => {
    await raw.query(
      "UPDATE auditkit_events SET actor_name = 'Eve' WHERE org_id = 'acme' AND seq = 4",
    );
    const res = await get('/admin/v1/orgs/acme/integrity', { acme: ['org-admin'] });
    expect(res.body.data.attributes).toMatchObject({
      status: 'broken',
      ok: false,
      problems: [{ seq: 4, reason: expect.stringMatching(/does not match its hash/) }],
    });
  });

  it.each([
    ['no token', undefined, 401],
    ['a token of another org', { globex: ['org-admin'] }, 403],
    ['a site admin of the org', { acme: ['site-admin'] }, 403],
  ])('refuses %s', async (_what, orgs, status) => {
    const res = await get('/admin/v1/orgs/acme/integrity', orgs);
    expect(res.status).toBe(status);
    expect(res.body.errors[0].status).toBe(String(status));
    expect(JSON.stringify(res.body)).not.toContain('verifiedThrough');
  });

  it('publishes the public key by id to anyone, and nothing secret', async () => {
    const res = await get('/admin/v1/integrity/keys');
    expect(res.status).toBe(200);
    const [published] = res.body.keys;
    expect(keyIdOf(parsePublicKey(JSON.stringify(published)))).toBe(published.kid);
    expect(keyIdOf(parsePublicKey(key.publicKey))).toBe(published.kid);
    expect(JSON.stringify(res.body)).not.toMatch(/"d"\s*:/);
  });
});
