import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AuditLogModule } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { SECRET, tokenFor } from './api-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The admin API remembers tokens it verified (auth/jwt.ts). Remembering the signature check
// must not remember anything else: rights are checked on every request, an expired token is
// refused at its exp, and a cookie session still counts only while it lives on the server.
describe.each(DATABASES)('verified bearer tokens, remembered, on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  const server = () => app.getHttpServer();
  const get = (token: string, path: string) =>
    request(server()).get(path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        // No clock tolerance, so that a token expires within the test.
        AuditAdminModule.forRoot({ jwt: { secret: SECRET, clockToleranceSec: 0 } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it("a remembered token still gets 403 on another org's log and on writes without the scope", async () => {
    const token = await tokenFor({ acme: ['org-admin'], globex: ['site-admin'] });
    for (let i = 0; i < 3; i++) await get(token, '/admin/v1/orgs/acme/events').expect(200);
    await get(token, '/admin/v1/orgs/globex/events').expect(403);
    await get(token, '/admin/v1/orgs/initech/events').expect(403);
    await request(server())
      .post('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send({ action: 'group_created', actor: { id: 'u-1' } })
      .expect(403);
    await get(token, '/admin/v1/orgs/acme/events').expect(200);
  });

  it('an expired token is refused even though it was verified a moment before', async () => {
    // Signed 59 s ago for 60 s: its exp is at most a second away.
    const token = await tokenFor(
      { acme: ['org-admin'] },
      { ttl: 60, now: new Date(Date.now() - 59_000) },
    );
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp;
    await get(token, '/admin/v1/orgs/acme/events').expect(200);
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 50);
    const res = await get(token, '/admin/v1/orgs/acme/events').expect(401);
    expect(res.body.errors[0].detail).toBe('The token has expired');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('a signature that does not verify is refused every time, also after a valid token', async () => {
    const token = await tokenFor({ acme: ['org-admin'] });
    await get(token, '/admin/v1/orgs/acme/events').expect(200);
    const [h, p, sig] = token.split('.');
    const forged = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    for (let i = 0; i < 2; i++) await get(forged, '/admin/v1/orgs/acme/events').expect(401);
    const widened = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(p, 'base64url').toString()),
        orgs: { globex: ['org-admin'] },
      }),
    ).toString('base64url');
    await get(`${h}.${widened}.${sig}`, '/admin/v1/orgs/globex/events').expect(401);
  });

  it('a cookie session ended is refused at once, though its token is remembered', async () => {
    const token = await tokenFor({ acme: ['org-admin'] }, { sub: 'u-cookie' });
    await get(token, '/admin/v1/orgs/acme/events').expect(200);
    const opened = await request(server())
      .post('/admin/v1/session')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    const cookies = ([] as string[]).concat(opened.headers['set-cookie'] ?? []);
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    const csrf = cookies
      .find((c) => c.startsWith('auditkit_csrf='))!
      .split(';')[0]
      .split('=')[1];
    const reads = () => request(server()).get('/admin/v1/orgs/acme/events').set('Cookie', cookie);
    await reads().expect(200);
    await request(server())
      .delete('/admin/v1/session')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .expect(204);
    await reads().expect(401);
    // The bearer token was never the session: it still reads.
    await get(token, '/admin/v1/orgs/acme/events').expect(200);
  });
});
