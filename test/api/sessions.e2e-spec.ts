import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditClock, auditDataSourceOptions, AuditLogModule } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { ApiHarness, SECRET, startApi, tokenFor } from './api-harness';

const SESSIONS_TABLE = 'auditkit_admin_sessions';
const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'cli.js');
const HOUR = 3600_000;

const cookieOf = (setCookie: string[], name: string) =>
  setCookie.find((c) => c.startsWith(`${name}=`));
const valueOf = (cookie: string) => cookie.split(';')[0].split('=').slice(1).join('=');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A signed-in UI session: the two cookie values and the Cookie header a browser would send. */
interface Session {
  id: string;
  csrf: string;
  cookie: string;
  setCookie: string[];
  token: string;
}

async function signIn(server: any, token: string): Promise<Session> {
  const res = await request(server)
    .post('/admin/v1/session')
    .set('Authorization', `Bearer ${token}`)
    .expect(200);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const id = valueOf(cookieOf(setCookie, 'auditkit_session')!);
  const csrf = valueOf(cookieOf(setCookie, 'auditkit_csrf')!);
  return {
    id,
    csrf,
    cookie: `auditkit_session=${id}; auditkit_csrf=${csrf}`,
    setCookie,
    token,
  };
}

const writeBody = () => ({
  action: 'group_created',
  actor: { id: 'u-1', name: 'Jane Doe' },
  targets: [{ id: 'g-1', type: 'group', name: 'jira-admins' }],
});

describe.each(DATABASES)('server-side UI sessions on %s', (kind) => {
  let api: ApiHarness;
  let ds: DataSource;

  beforeAll(async () => {
    api = await startApi(kind);
    ds = await new DataSource(auditDataSourceOptions(api.db.url)).initialize();
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await api?.close();
  });

  const server = () => api.server;
  const reads = (s: Session) =>
    request(server()).get('/admin/v1/orgs/acme/events').set('Cookie', s.cookie);
  const admin = (sub = 'u-admin') => tokenFor({ acme: ['org-admin'] }, { sub });

  it('signing out ends the session: the same cookie value is refused afterwards', async () => {
    const s = await signIn(server(), await admin());
    await reads(s).expect(200);
    await request(server())
      .delete('/admin/v1/session')
      .set('Cookie', s.cookie)
      .set('X-CSRF-Token', s.csrf)
      .expect(204);
    // A captured copy of the cookie is worth nothing now.
    const after = await reads(s).expect(401);
    expect(after.body.errors[0]).toMatchObject({ status: '401' });
    await request(server()).get('/admin/v1/session').set('Cookie', s.cookie).expect(401);
    // The token that opened it still works as a bearer: it was never the session.
    await request(server())
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${s.token}`)
      .expect(200);
  });

  it('the session cookie is a random id, not the bearer token, and a token is no session', async () => {
    const s = await signIn(server(), await admin());
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.id).not.toBe(s.token);
    await request(server())
      .get('/admin/v1/orgs/acme/events')
      .set('Cookie', `auditkit_session=${s.token}; auditkit_csrf=${s.csrf}`)
      .expect(401);
  });

  it('keeps only a SHA-256 of the session id in the database, never the id or the token', async () => {
    const s = await signIn(server(), await admin('u-stored'));
    const rows: Record<string, unknown>[] = await ds.query(`SELECT * FROM ${SESSIONS_TABLE}`);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(s.id);
    expect(dump).not.toContain(s.token);
    expect(dump).not.toContain(s.token.split('.')[2]);
    expect(dump).not.toContain(s.csrf);
    expect(dump).toContain(sha256(s.id));
    // The principal is kept with it, so the session does not need the token again.
    const row = rows.find((r) => Object.values(r).includes(sha256(s.id)))!;
    expect(JSON.stringify(row)).toContain('u-stored');
  });

  it('a DELETE of the session without the CSRF header is refused and ends nothing', async () => {
    const s = await signIn(server(), await admin());
    const res = await request(server())
      .delete('/admin/v1/session')
      .set('Cookie', s.cookie)
      .expect(403);
    expect(res.body.errors[0]).toMatchObject({ code: 'csrf_failed' });
    const wrong = await request(server())
      .delete('/admin/v1/session')
      .set('Cookie', s.cookie)
      .set('X-CSRF-Token', 'evil');
    expect(wrong.status).toBe(403);
    await reads(s).expect(200);
  });

  it('a planted CSRF cookie with a matching header is refused', async () => {
    const s = await signIn(
      server(),
      await tokenFor({ acme: ['org-admin'] }, { scope: 'events:write' }),
    );
    const res = await request(server())
      .post('/admin/v1/orgs/acme/events')
      .set('Cookie', `auditkit_session=${s.id}; auditkit_csrf=evil`)
      .set('X-CSRF-Token', 'evil')
      .send(writeBody())
      .expect(403);
    expect(res.body.errors[0]).toMatchObject({ code: 'csrf_failed' });
    // The session's own token passes, whatever the CSRF cookie holds.
    await request(server())
      .post('/admin/v1/orgs/acme/events')
      .set('Cookie', `auditkit_session=${s.id}; auditkit_csrf=evil`)
      .set('X-CSRF-Token', s.csrf)
      .send(writeBody())
      .expect(201);
  });

  it("another session's CSRF token is refused", async () => {
    const write = await tokenFor({ acme: ['org-admin'] }, { scope: 'events:write' });
    const victim = await signIn(server(), write);
    const attacker = await signIn(server(), write);
    expect(attacker.csrf).not.toBe(victim.csrf);
    await request(server())
      .post('/admin/v1/orgs/acme/events')
      .set('Cookie', `auditkit_session=${victim.id}; auditkit_csrf=${attacker.csrf}`)
      .set('X-CSRF-Token', attacker.csrf)
      .send(writeBody())
      .expect(403);
  });

  it('a token whose exp is 1e13 opens a session capped at the longest session lifetime', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ orgs: { acme: ['org-admin'] } })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('u-far')
      .setIssuedAt(now)
      .setExpirationTime(1e13)
      .sign(new TextEncoder().encode(SECRET));
    const s = await signIn(server(), token);
    for (const name of ['auditkit_session', 'auditkit_csrf']) {
      const maxAge = Number(/Max-Age=(\d+)/i.exec(cookieOf(s.setCookie, name)!)![1]);
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(12 * 3600);
    }
    await reads(s).expect(200);
  });

  it('a session ends no later than its token', async () => {
    const s = await signIn(server(), await tokenFor({ acme: ['org-admin'] }, { ttl: 600 }));
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookieOf(s.setCookie, 'auditkit_session')!)![1]);
    expect(maxAge).toBeGreaterThan(500);
    expect(maxAge).toBeLessThanOrEqual(600);
  });

  describe('DELETE /admin/v1/orgs/{orgId}/users/{userId}/sessions', () => {
    const endAll = (orgId: string, userId: string) =>
      request(server()).delete(
        `/admin/v1/orgs/${orgId}/users/${encodeURIComponent(userId)}/sessions`,
      );

    it('an org admin ends every session of a user in the org and hears how many', async () => {
      const member = await tokenFor(
        { acme: ['site-admin'], globex: ['org-admin'] },
        { sub: 'u-1' },
      );
      const a = await signIn(server(), member);
      const b = await signIn(server(), member);
      // The same user signed in with a token that grants nothing in acme: not acme's to end.
      const elsewhere = await signIn(
        server(),
        await tokenFor({ globex: ['org-admin'] }, { sub: 'u-1' }),
      );
      const bystander = await signIn(
        server(),
        await tokenFor({ acme: ['site-admin'], globex: ['org-admin'] }, { sub: 'u-2' }),
      );
      const globexReads = (s: Session) =>
        request(server()).get('/admin/v1/orgs/globex/events').set('Cookie', s.cookie);
      await globexReads(a).expect(200);

      const res = await endAll('acme', 'u-1')
        .set('Authorization', `Bearer ${await admin()}`)
        .expect(200);
      expect(res.body).toEqual({ data: { orgId: 'acme', userId: 'u-1', ended: 2 } });
      await globexReads(a).expect(401);
      await globexReads(b).expect(401);
      await globexReads(elsewhere).expect(200);
      await globexReads(bystander).expect(200);

      const again = await endAll('acme', 'u-1')
        .set('Authorization', `Bearer ${await admin()}`)
        .expect(200);
      expect(again.body.data.ended).toBe(0);
    });

    it('needs an org admin of that org, and CSRF when cookie-authenticated', async () => {
      const victim = await signIn(
        server(),
        await tokenFor({ acme: ['site-admin'] }, { sub: 'u-3' }),
      );
      const noToken = await endAll('acme', 'u-3').expect(401);
      expect(noToken.headers['www-authenticate']).toBe('Bearer');
      await endAll('acme', 'u-3')
        .set('Authorization', `Bearer ${await tokenFor({ globex: ['org-admin'] })}`)
        .expect(403);
      await endAll('acme', 'u-3')
        .set('Authorization', `Bearer ${await tokenFor({ acme: ['site-admin'] })}`)
        .expect(403);
      const adminSession = await signIn(server(), await admin());
      await endAll('acme', 'u-3').set('Cookie', adminSession.cookie).expect(403);
      await reads(victim).expect(403); // still signed in (a site-admin cannot read acme)
      await request(server()).get('/admin/v1/session').set('Cookie', victim.cookie).expect(200);
      const ok = await endAll('acme', 'u-3')
        .set('Cookie', adminSession.cookie)
        .set('X-CSRF-Token', adminSession.csrf)
        .expect(200);
      expect(ok.body.data.ended).toBe(1);
      await request(server()).get('/admin/v1/session').set('Cookie', victim.cookie).expect(401);
    });
  });

  it('the CLI ends all sessions of a user (sessions --revoke --sub)', async () => {
    expect(existsSync(CLI)).toBe(true);
    const s = await signIn(server(), await admin('u-cli-target'));
    const other = await signIn(server(), await admin('u-cli-other'));
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: api.db.url,
          AUDITKIT_JWT_SECRET: SECRET,
          AUDITKIT_DATA_DIR: tmpdir(),
        },
        encoding: 'utf8',
        timeout: 60000,
      });
    const listed = cli(['sessions', '--sub', 'u-cli-target']);
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('u-cli-target: 1 active session');
    await reads(s).expect(200);
    const revoked = cli(['sessions', '--revoke', '--sub', 'u-cli-target']);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toContain('u-cli-target: ended 1 session');
    await reads(s).expect(401);
    await reads(other).expect(200);
    const bad = cli(['sessions', '--revoke']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--sub is required');
  });
});

/** A clock the test moves; starts at the real time. */
class TestClock implements AuditClock {
  private ms = Date.now();
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

describe('session lifetime option and expiry on sqlite', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let ds: DataSource;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET }, sessionTtlHours: 1, clock }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    ds = await new DataSource(auditDataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await app?.close();
    await db?.drop();
  });

  it('ends a session after sessionTtlHours and removes expired rows', async () => {
    const s = await signIn(
      app.getHttpServer(),
      await tokenFor({ acme: ['org-admin'] }, { ttl: 24 * 3600 }),
    );
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookieOf(s.setCookie, 'auditkit_session')!)![1]);
    expect(maxAge).toBe(3600);
    const read = () =>
      request(app.getHttpServer()).get('/admin/v1/orgs/acme/events').set('Cookie', s.cookie);
    clock.advance(HOUR - 1000);
    await read().expect(200);
    clock.advance(1000);
    await read().expect(401);
    const count = async () =>
      Number((await ds.query(`SELECT COUNT(*) AS n FROM ${SESSIONS_TABLE}`))[0].n);
    expect(await count()).toBe(1);
    // The next sign-in sweeps expired sessions away.
    await signIn(app.getHttpServer(), await tokenFor({ acme: ['org-admin'] }, { ttl: 24 * 3600 }));
    expect(await count()).toBe(1);
  });
});
