import {
  CanActivate,
  ExecutionContext,
  Injectable,
  INestApplication,
  Module,
} from '@nestjs/common';
import { APP_GUARD, RouterModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import request from 'supertest';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule, AuditPrincipal } from '@auditkit/nestjs/admin';
import { createTestDatabase, TestDatabase } from '../support/databases';

interface HostUser {
  id: string;
  name: string;
  roles: Record<string, string[]>;
}

// The host's own auth: a session header standing in for whatever the host really uses.
const SESSIONS: Record<string, HostUser> = {
  'sess-admin': { id: 'u-1', name: 'Jane Doe', roles: { acme: ['org-admin'] } },
  'sess-member': { id: 'u-2', name: 'Bob Li', roles: { acme: ['member'] } },
};

@Injectable()
class HostSessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { user?: HostUser }>();
    const user = SESSIONS[String(req.headers['x-host-session'] ?? '')];
    if (user) req.user = user;
    // The host lets anonymous requests reach public routes; the plugin decides for its own.
    return true;
  }
}

@Module({
  imports: [
    AuditAdminModule.forRoot({
      resolvePrincipal: (req): AuditPrincipal | undefined => {
        const user = (req as Request & { user?: HostUser }).user;
        return user && { sub: user.id, name: user.name, orgs: user.roles, scopes: [] };
      },
      secret: 'host-cursor-secret-host-cursor-secret',
    }),
    RouterModule.register([{ path: 'audit', module: AuditAdminModule }]),
  ],
})
class AuditPluginModule {}

describe('the admin plugin mounted in a host app behind the host auth', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }), AuditPluginModule],
      providers: [{ provide: APP_GUARD, useClass: HostSessionGuard }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    await app.get(AuditService).record({
      orgId: 'acme',
      action: 'group_created',
      actor: { id: 'u-1', name: 'Jane Doe' },
      targets: [{ id: 'g-1', type: 'group', name: 'jira-admins' }],
    });
    await app
      .get(AuditService)
      .record({ orgId: 'globex', action: 'group_created', actor: { id: 'u-9' } });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const get = (path: string, session?: string) => {
    const r = request(app.getHttpServer()).get(path);
    return session ? r.set('x-host-session', session) : r;
  };

  it('serves the API under the mount path to the host principal with org-admin', async () => {
    const res = await get('/audit/admin/v1/orgs/acme/events', 'sess-admin').expect(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].message.content).toBe('Jane Doe created the group jira-admins');
    expect(res.body.data[0].links.self).toBe(
      `/audit/admin/v1/orgs/acme/events/${res.body.data[0].id}`,
    );
    const session = await get('/audit/admin/v1/session', 'sess-admin').expect(200);
    expect(session.body.data).toMatchObject({ sub: 'u-1', orgs: ['acme'] });
  });

  it("applies the plugin's own body checks under the mount path, before anything reads the body", async () => {
    const post = (path: string) =>
      request(app.getHttpServer()).post(path).set('x-host-session', 'sess-admin');
    // Not JSON: the plugin's 415 naming the header (the host's parser would let it through).
    const text = await post('/audit/admin/v1/orgs/acme/events')
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
    expect(text.body.errors[0].source).toEqual({ header: 'Content-Type' });
    // Over the plugin's 64 KB for one event, though under a bulk request's limit.
    const big = JSON.stringify({ action: 'group_created', pad: 'x'.repeat(70_000) });
    await post('/audit/admin/v1/orgs/acme/events')
      .set('Content-Type', 'application/json')
      .send(big)
      .expect(413);
  });

  it('answers 401 without a host session and 403 without the role or for another org', async () => {
    await get('/audit/admin/v1/orgs/acme/events').expect(401);
    await get('/audit/admin/v1/orgs/acme/events', 'sess-member').expect(403);
    await get('/audit/admin/v1/orgs/globex/events', 'sess-admin').expect(403);
    const own = await get('/audit/admin/v1/orgs/acme/events', 'sess-admin').expect(200);
    const globexId = (
      await app
        .get(AuditService)
        .record({ orgId: 'globex', action: 'group_deleted', actor: { id: 'u-9' } })
    ).id;
    await get(`/audit/admin/v1/orgs/acme/events/${globexId}`, 'sess-admin').expect(404);
    expect(own.body.data).toHaveLength(1);
  });

  it('does not hand out sessions: the host owns sign-in', async () => {
    await request(app.getHttpServer())
      .post('/audit/admin/v1/session')
      .set('x-host-session', 'sess-admin')
      .expect(405);
  });

  it('serves the UI at the mount path, redirecting to the trailing slash its relative URLs need', async () => {
    const redirect = await get('/audit').expect(301);
    expect(redirect.headers.location).toBe('/audit/');
    const page = await get('/audit/').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('auditkit-log.js');
    await get('/audit/app.js')
      .expect(200)
      .expect('content-type', /javascript/);
  });
});
