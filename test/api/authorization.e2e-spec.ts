import { AddressInfo, connect } from 'node:net';
import request from 'supertest';
import { AuditEvent } from '@auditkit/nestjs';
import { DATABASES } from '../support/databases';
import { ApiHarness, SECRET, startApi, tokenFor } from './api-harness';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token that claims `alg: none` (unsigned), with otherwise valid claims. */
function algNoneToken(orgs: Record<string, string[]>, scope?: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'u-evil', orgs, scope, iat: now, exp: now + 3600 })}.`;
}

type Method = 'get' | 'post';
interface Route {
  name: string;
  method: Method;
  path: () => string;
  body?: () => object;
  okStatus: number;
}

type Outcome = 'ok' | 401 | 403;

/** Who calls, and what each route must answer them: reads need org-admin, writes a role + scope. */
interface Caller {
  name: string;
  header: () => Promise<string | undefined>;
  read: Outcome;
  write: Outcome;
}

describe.each(DATABASES)('authorization of every route on %s', (kind) => {
  let api: ApiHarness;
  let acmeEvent: AuditEvent;
  let globexEvent: AuditEvent;

  const writeBody = () => ({
    action: 'group_created',
    actor: { id: 'u-1', name: 'Jane Doe' },
    targets: [{ id: 'g-1', type: 'group', name: 'jira-admins' }],
  });

  const routes: Route[] = [
    { name: 'GET events', method: 'get', path: () => '/admin/v1/orgs/acme/events', okStatus: 200 },
    {
      name: 'GET event by id',
      method: 'get',
      path: () => `/admin/v1/orgs/acme/events/${acmeEvent.id}`,
      okStatus: 200,
    },
    {
      name: 'GET event-actions',
      method: 'get',
      path: () => '/admin/v1/orgs/acme/event-actions',
      okStatus: 200,
    },
    {
      name: 'GET viewer-config',
      method: 'get',
      path: () => '/admin/v1/orgs/acme/viewer-config',
      okStatus: 200,
    },
    {
      name: 'POST events',
      method: 'post',
      path: () => '/admin/v1/orgs/acme/events',
      body: writeBody,
      okStatus: 201,
    },
  ];

  const bearer = (t: Promise<string> | string) => async () => `Bearer ${await t}`;
  const callers: Caller[] = [
    { name: 'no token', header: async () => undefined, read: 401, write: 401 },
    { name: 'a Basic header', header: async () => 'Basic dXNlcjpwYXNz', read: 401, write: 401 },
    { name: '"Bearer" without a token', header: async () => 'Bearer', read: 401, write: 401 },
    { name: 'a bearer of two words', header: async () => 'Bearer abc def', read: 401, write: 401 },
    { name: 'an empty header', header: async () => '', read: 401, write: 401 },
    { name: 'a garbage token', header: async () => 'Bearer not.a.jwt', read: 401, write: 401 },
    {
      name: 'random bytes',
      header: async () => 'Bearer eyJhbGciOiJIUzI1NiJ9.%%%.@@@',
      read: 401,
      write: 401,
    },
    {
      name: 'an alg:none token',
      header: async () => `Bearer ${algNoneToken({ acme: ['org-admin'] }, 'events:write')}`,
      read: 401,
      write: 401,
    },
    {
      name: 'a token with its signature stripped',
      header: async () => {
        const [h, p] = (await tokenFor({ acme: ['org-admin'] }, { scope: 'events:write' })).split(
          '.',
        );
        return `Bearer ${h}.${p}.`;
      },
      read: 401,
      write: 401,
    },
    {
      name: 'a token signed with the wrong secret',
      header: bearer(
        tokenFor({ acme: ['org-admin'] }, { scope: 'events:write', secret: `${SECRET}-not` }),
      ),
      read: 401,
      write: 401,
    },
    {
      name: 'an expired token',
      header: bearer(
        tokenFor(
          { acme: ['org-admin'] },
          { scope: 'events:write', ttl: 60, now: new Date(Date.now() - 3_600_000) },
        ),
      ),
      read: 401,
      write: 401,
    },
    {
      name: 'a tampered token (org swapped after signing)',
      header: async () => {
        const [h, , s] = (
          await tokenFor({ globex: ['org-admin'] }, { scope: 'events:write' })
        ).split('.');
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${h}.${b64url({ sub: 'u-admin', orgs: { acme: ['org-admin'] }, scope: 'events:write', iat: now, exp: now + 3600 })}.${s}`;
      },
      read: 401,
      write: 401,
    },
    {
      name: 'an org-admin of another org (with events:write)',
      header: bearer(tokenFor({ globex: ['org-admin'] }, { scope: 'events:write' })),
      read: 403,
      write: 403,
    },
    {
      name: 'a token with no orgs',
      header: bearer(tokenFor({}, { scope: 'events:write' })),
      read: 403,
      write: 403,
    },
    {
      name: 'an empty role list in the org (with events:write)',
      header: bearer(tokenFor({ acme: [] }, { scope: 'events:write' })),
      read: 403,
      write: 403,
    },
    {
      name: 'a site-admin of the org',
      header: bearer(tokenFor({ acme: ['site-admin'] })),
      read: 403,
      write: 403,
    },
    {
      name: 'a site-admin of the org with events:write',
      header: bearer(tokenFor({ acme: ['site-admin'] }, { scope: 'events:write' })),
      read: 403,
      write: 'ok',
    },
    {
      name: 'an org-admin of the org',
      header: bearer(tokenFor({ acme: ['org-admin'] })),
      read: 'ok',
      write: 403,
    },
    {
      name: 'an org-admin of the org with events:write',
      header: bearer(
        tokenFor({ acme: ['org-admin', 'site-admin'] }, { scope: 'openid events:write' }),
      ),
      read: 'ok',
      write: 'ok',
    },
  ];

  beforeAll(async () => {
    api = await startApi(kind);
    [acmeEvent, globexEvent] = await Promise.all([
      api.audit.record({
        orgId: 'acme',
        action: 'group_created',
        actor: { id: 'u-1', name: 'Jane Doe' },
      }),
      api.audit.record({
        orgId: 'globex',
        action: 'group_created',
        actor: { id: 'u-2', name: 'Gus Globex' },
      }),
    ]);
  });

  afterAll(async () => {
    await api?.close();
  });

  /** A request written byte for byte, for headers an HTTP client would re-encode. */
  async function rawRequest(method: string, path: string, headers: Buffer[], body: string) {
    if (!api.server.listening) await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', r));
    const { port } = api.server.address() as AddressInfo;
    const head = Buffer.from(
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n`,
    );
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      // Written, not ended: a half-closed socket makes Node drop a response still being made
      // (httpAllowHalfOpen is off); `Connection: close` has the server close it once answered.
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(Buffer.concat([head, ...headers, Buffer.from(`\r\n${body}`)])),
      );
      socket.on('data', (d) => chunks.push(d));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    // The JSON object is everything between the outer braces (whatever the transfer encoding).
    return {
      status: Number(text.split(' ')[1]),
      body: text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1),
    };
  }

  const cases = callers.flatMap((caller) =>
    routes.map((route) => [route.name, caller.name, route, caller] as const),
  );

  it.each(cases)('%s by %s', async (_r, _c, route, caller) => {
    const header = await caller.header();
    let req = request(api.server)[route.method](route.path());
    if (header !== undefined) req = req.set('Authorization', header);
    if (route.body) req = req.send(route.body());
    const res = await req;
    const want = route.method === 'post' ? caller.write : caller.read;
    if (want === 'ok') {
      expect(res.status).toBe(route.okStatus);
      expect(res.body.data).toBeDefined();
      return;
    }
    expect(res.status).toBe(want);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ status: String(want) });
    if (want === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
    // Nothing of the org leaks into an error.
    expect(JSON.stringify(res.body)).not.toContain(acmeEvent.id);
  });

  it('refused writes record nothing; accepted ones record exactly one event each', async () => {
    const admin = await tokenFor({ acme: ['org-admin'] });
    const res = await request(api.server)
      .get('/admin/v1/orgs/acme/events?limit=1000')
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    const writers = callers.filter((c) => c.write === 'ok').length;
    expect(res.body.data).toHaveLength(1 + writers);
  });

  it("an org-admin reading another org's event id under its own org gets a 404", async () => {
    const globexAdmin = await tokenFor({ globex: ['org-admin'] });
    const res = await request(api.server)
      .get(`/admin/v1/orgs/globex/events/${acmeEvent.id}`)
      .set('Authorization', `Bearer ${globexAdmin}`)
      .expect(404);
    expect(res.body.data).toBeUndefined();
    await request(api.server)
      .get(`/admin/v1/orgs/globex/events/${globexEvent.id}`)
      .set('Authorization', `Bearer ${globexAdmin}`)
      .expect(200);
    const acmeAdmin = await tokenFor({ acme: ['org-admin'] });
    await request(api.server)
      .get(`/admin/v1/orgs/acme/events/${globexEvent.id}`)
      .set('Authorization', `Bearer ${acmeAdmin}`)
      .expect(404);
  });

  it('an org id that only looks like a role key of the token is not an org', async () => {
    const t = await tokenFor({ acme: ['org-admin'] });
    for (const org of ['__proto__', 'constructor', 'ACME', 'acme%20']) {
      const res = await request(api.server)
        .get(`/admin/v1/orgs/${org}/events`)
        .set('Authorization', `Bearer ${t}`);
      expect(res.status).toBe(403);
    }
  });

  describe('cookie session', () => {
    const cookieOf = (setCookie: string[], name: string) =>
      setCookie.find((c) => c.startsWith(`${name}=`));
    const value = (cookie: string) => cookie.split(';')[0].split('=').slice(1).join('=');

    async function signIn(scope?: string) {
      const t = await tokenFor({ acme: ['org-admin'], globex: ['site-admin'] }, { scope });
      const res = await request(api.server)
        .post('/admin/v1/session')
        .set('Authorization', `Bearer ${t}`)
        .expect(200);
      const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      const session = cookieOf(setCookie, 'auditkit_session')!;
      const csrf = cookieOf(setCookie, 'auditkit_csrf')!;
      return {
        res,
        session,
        csrf,
        cookie: `auditkit_session=${value(session)}; auditkit_csrf=${value(csrf)}`,
      };
    }

    it('POST /admin/v1/session with a bearer sets an HttpOnly, SameSite=Lax session cookie and a CSRF cookie', async () => {
      const { res, session, csrf } = await signIn();
      expect(res.body).toEqual({
        data: { sub: 'u-admin', name: 'Ada Admin', email: 'ada@acme.test', orgs: ['acme'] },
      });
      expect(session).toMatch(/; HttpOnly/i);
      expect(session).toMatch(/; SameSite=Lax/i);
      expect(session).toMatch(/; Path=\//i);
      expect(session).not.toMatch(/; Secure/i);
      expect(csrf).toMatch(/; SameSite=Lax/i);
      expect(csrf).not.toMatch(/HttpOnly/i);
      expect(value(csrf).length).toBeGreaterThanOrEqual(16);
    });

    it('refuses to open a session without a valid bearer token', async () => {
      await request(api.server).post('/admin/v1/session').expect(401);
      await request(api.server)
        .post('/admin/v1/session')
        .set('Authorization', 'Bearer nope')
        .expect(401);
      const expired = await tokenFor(
        { acme: ['org-admin'] },
        { ttl: 60, now: new Date(Date.now() - 3_600_000) },
      );
      await request(api.server)
        .post('/admin/v1/session')
        .set('Authorization', `Bearer ${expired}`)
        .expect(401);
      await request(api.server)
        .post('/admin/v1/session')
        .set('Authorization', `Bearer ${algNoneToken({ acme: ['org-admin'] })}`)
        .expect(401);
    });

    it('the cookie authenticates reads with the same rights as the token', async () => {
      const { cookie } = await signIn();
      await request(api.server).get('/admin/v1/orgs/acme/events').set('Cookie', cookie).expect(200);
      await request(api.server)
        .get('/admin/v1/orgs/globex/events')
        .set('Cookie', cookie)
        .expect(403);
      const me = await request(api.server)
        .get('/admin/v1/session')
        .set('Cookie', cookie)
        .expect(200);
      expect(me.body.data.orgs).toEqual(['acme']);
      await request(api.server)
        .get('/admin/v1/orgs/acme/events')
        .set('Cookie', 'auditkit_session=garbage')
        .expect(401);
    });

    it('a cookie-authenticated POST needs X-CSRF-Token matching the CSRF cookie', async () => {
      const { cookie, csrf } = await signIn('events:write');
      const post = () =>
        request(api.server)
          .post('/admin/v1/orgs/acme/events')
          .set('Cookie', cookie)
          .send(writeBody());
      const missing = await post().expect(403);
      expect(missing.body.errors[0]).toMatchObject({ status: '403', code: 'csrf_failed' });
      const token = value(csrf);
      const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      await post().set('X-CSRF-Token', wrong).expect(403);
      await post().set('X-CSRF-Token', token.slice(1)).expect(403);
      // Same length in characters, more bytes in UTF-8 (a raw latin1 byte): a 403, never a 500.
      const raw = await rawRequest(
        'POST',
        '/admin/v1/orgs/acme/events',
        [
          Buffer.from(`Cookie: ${cookie}\r\nContent-Type: application/json\r\n`),
          Buffer.concat([
            Buffer.from('X-CSRF-Token: '),
            Buffer.from([0xe9]),
            Buffer.from(`${token.slice(1)}\r\n`),
          ]),
        ],
        JSON.stringify(writeBody()),
      );
      expect(raw.status).toBe(403);
      expect(JSON.parse(raw.body).errors[0].code).toBe('csrf_failed');
      const ok = await post().set('X-CSRF-Token', token).expect(201);
      expect(ok.body.data.type).toBe('events');
      // The session without the write scope cannot write, CSRF token or not.
      const reader = await signIn();
      await request(api.server)
        .post('/admin/v1/orgs/acme/events')
        .set('Cookie', reader.cookie)
        .set('X-CSRF-Token', value(reader.csrf))
        .send(writeBody())
        .expect(403);
    });

    it('DELETE /admin/v1/session clears both cookies', async () => {
      const { cookie, csrf } = await signIn();
      const res = await request(api.server)
        .delete('/admin/v1/session')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', value(csrf))
        .expect(204);
      const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      for (const name of ['auditkit_session', 'auditkit_csrf']) {
        const c = cookieOf(setCookie, name);
        expect(c).toBeDefined();
        expect(value(c!)).toBe('');
        expect(c).toMatch(/Expires=Thu, 01 Jan 1970/);
      }
      // A browser that applied those headers sends no session any more.
      await request(api.server).get('/admin/v1/orgs/acme/events').expect(401);
    });
  });
});
