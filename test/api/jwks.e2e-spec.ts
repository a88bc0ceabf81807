import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, KeyLike, SignJWT } from 'jose';
import request from 'supertest';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { createTestDatabase, TestDatabase } from '../support/databases';

/** Tokens signed by an identity provider's RS256 key, published as a JWKS the API fetches. */
describe('bearer tokens verified against a JWKS URL', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let jwks: Server;
  let key: KeyLike;
  let otherKey: KeyLike;

  const token = (claims: Record<string, unknown>, signWith = key, kid = 'idp-1') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('u-1')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(signWith);

  beforeAll(async () => {
    ({ privateKey: key } = await generateKeyPair('RS256'));
    ({ privateKey: otherKey } = await generateKeyPair('RS256'));
    // Only the public half is published.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = await exportJWK(key);
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...pub, kid: 'idp-1', alg: 'RS256', use: 'sig' }] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;

    db = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({
          jwt: { jwksUrl: url },
          secret: 'cursor-secret-cursor-secret-cursor!!',
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    await app.get(AuditService).record({
      orgId: 'acme',
      action: 'group_created',
      actor: { id: 'u-1', name: 'Jane Doe' },
      targets: [{ id: 'g-1', type: 'group', name: 'jira-admins' }],
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await new Promise((r) => jwks?.close(r));
  });

  it('lets an org admin in with a token the JWKS vouches for', async () => {
    const res = await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${await token({ orgs: { acme: ['org-admin'] } })}`)
      .expect(200);
    expect(
      res.body.data.map((e: { attributes: { action: string } }) => e.attributes.action),
    ).toEqual(['group_created']);
  });

  it('refuses a token signed by another key, and still checks roles', async () => {
    await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${await token({ orgs: { acme: ['org-admin'] } }, otherKey)}`)
      .expect(401);
    await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${await token({ orgs: { acme: ['site-admin'] } })}`)
      .expect(403);
    await request(app.getHttpServer())
      .get('/admin/v1/orgs/globex/events')
      .set('Authorization', `Bearer ${await token({ orgs: { acme: ['org-admin'] } })}`)
      .expect(403);
  });

  it('refuses HS256 tokens when no shared secret is configured', async () => {
    const hs = await new SignJWT({ orgs: { acme: ['org-admin'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-1')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('guessable'));
    await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${hs}`)
      .expect(401);
  });
});
