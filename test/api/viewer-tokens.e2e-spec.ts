import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import { hkdfSync } from 'node:crypto';
import request from 'supertest';
import { AuditClock, AuditEvent, AuditLogModule, AuditService } from '@auditkit/nestjs';
import {
  ApiExceptionFilter,
  AuditAdminModule,
  ViewerTokenInputError,
  ViewerTokenService,
} from '@auditkit/nestjs/admin';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { recordAll, SECRET, tokenFor } from './api-harness';

// Viewer tokens end to end (issue #13): a host mints a short-lived, read-only token for one org,
// optionally narrowed; the API takes it beside admin JWTs; it reads its own org only, never
// more than its narrowing (whatever the query or cursor asks), manages nothing, and expires.

const ORG = '/admin/v1/orgs/acme';
const EVENTS = `${ORG}/events`;
const HOST = 'https://host.test';

class TestClock implements AuditClock {
  ms = Date.now();
  now(): Date {
    return new Date(this.ms);
  }
}

describe.each(DATABASES)('viewer tokens on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  let viewers: ViewerTokenService;
  let admin: string;
  const clock = new TestClock();
  const logger = new CaptureLogger();
  const http = () => request(app.getHttpServer());
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
  // Before the narrowed token's `from`, then after it.
  const start = clock.ms - 86_400_000;
  const at = (minutes: number) => new Date(start + minutes * 60_000);
  let ev: Record<string, AuditEvent>;
  let narrowed: string;
  let whole: string;

  const event = (orgId: string, action: string, actor: string, product: string, time: Date) => ({
    orgId,
    action,
    actor: { id: actor, type: 'user' as const },
    targets: [{ id: 'g-1', type: 'group', name: 'g' }],
    product,
    time,
  });
  const ids = (res: request.Response) => res.body.data.map((e: { id: string }) => e.id);
  const errorOf = (res: request.Response) => res.body.errors[0];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({
          jwt: { secret: SECRET },
          clock,
          viewerTokens: { allowedOrigins: [HOST] },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    viewers = app.get(ViewerTokenService);
    admin = await tokenFor({ acme: ['org-admin'], globex: ['org-admin'] });
    const [early, e2, e3, e4, e5, g1] = await recordAll(app.get(AuditService), [
      event('acme', 'group_created', 'u-1', 'jira', at(-120)),
      event('acme', 'group_created', 'u-1', 'jira', at(1)),
      event('acme', 'group_created', 'u-2', 'confluence', at(2)),
      event('acme', 'user_invited', 'u-1', 'jira', at(3)),
      event('acme', 'group_created', 'u-1', 'jira', at(4)),
      event('globex', 'group_created', 'u-1', 'jira', at(1)),
    ]);
    ev = { early, e2, e3, e4, e5, g1 };
    narrowed = (
      await viewers.mint({
        orgId: 'acme',
        subject: 'host-user-7',
        actions: ['group_created'],
        actors: ['u-1'],
        products: ['jira'],
        from: at(0),
      })
    ).token;
    whole = (await viewers.mint({ orgId: 'acme' })).token;
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('mints an avt_ token of 15 minutes by default, and checks its input', async () => {
    const minted = await viewers.mint({ orgId: 'acme' });
    expect(minted.token).toMatch(/^avt_[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(minted.expiresAt.getTime() - clock.ms).toBeLessThanOrEqual(900_000);
    expect(minted.expiresAt.getTime() - clock.ms).toBeGreaterThan(899_000);
    const cases: [object, string][] = [
      [{ orgId: 'ac me' }, 'orgId'],
      [{ orgId: 'acme', actions: ['no_such_action'] }, 'actions'],
      [{ orgId: 'acme', actors: Array.from({ length: 51 }, (_, i) => `u-${i}`) }, 'actors'],
      [{ orgId: 'acme', products: [] }, 'products'],
      [{ orgId: 'acme', exportEmail: 'a@b.test, c@d.test' }, 'exportEmail'],
      [{ orgId: 'acme', ttlSeconds: 86_401 }, 'ttlSeconds'],
      [{ orgId: 'acme', from: 'yesterday' }, 'from'],
      [{ orgId: 'acme', subject: 'two\nlines' }, 'subject'],
    ];
    for (const [input, field] of cases) {
      const err = await viewers.mint(input as never).catch((e: unknown) => e);
      expect({ input, err }).toEqual({ input, err: expect.any(ViewerTokenInputError) });
      expect((err as ViewerTokenInputError).field).toBe(field);
    }
  });

  it('reads its own org only; another org is a 403 naming it', async () => {
    const res = await http().get(EVENTS).set(bearer(whole)).expect(200);
    expect(ids(res)).toEqual([ev.e5, ev.e4, ev.e3, ev.e2, ev.early].map((e) => e.id));
    for (const path of ['events', 'events-histogram', 'events-stream', 'event-actions']) {
      const other = await http().get(`/admin/v1/orgs/globex/${path}`).set(bearer(whole));
      expect({ path, status: other.status }).toEqual({ path, status: 403 });
      expect(errorOf(other).detail).toContain('"globex"');
    }
    await http().get(`/admin/v1/orgs/globex/events/${ev.g1.id}`).set(bearer(whole)).expect(403);
    await http().get(`${EVENTS}/${ev.g1.id}`).set(bearer(whole)).expect(404);
  });

  it('refuses no token, garbage, a tampered, a forged or an expired token with a 401', async () => {
    await http().get(EVENTS).expect(401);
    const [head, body, sig] = whole.slice(4).split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, org: 'globex' })).toString('base64url');
    // Flip the first character: the last one of a 43-character base64url signature carries two
    // padding bits, so changing it can leave the decoded bytes (and the signature) as they were.
    const flipped = (sig.startsWith('A') ? 'B' : 'A') + sig.slice(1);
    for (const bad of [
      'avt_',
      'avt_garbage',
      `avt_${head}.${widened}.${sig}`,
      `avt_${head}.${body}.${flipped}`,
    ]) {
      const res = await http().get(EVENTS).set(bearer(bad));
      expect({ bad, status: res.status }).toEqual({ bad, status: 401 });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    const short = await viewers.mint({ orgId: 'acme', ttlSeconds: 60 });
    await http().get(EVENTS).set(bearer(short.token)).expect(200);
    clock.ms += 60_000;
    try {
      const expired = await http().get(EVENTS).set(bearer(short.token)).expect(401);
      expect(errorOf(expired).detail).toMatch(/expired/);
    } finally {
      clock.ms -= 60_000;
    }
  });

  it('never verifies as an admin JWT, nor an admin JWT as a viewer token', async () => {
    const bare = whole.slice(4);
    // The viewer token without its prefix goes to the admin verifier: another key.
    await http().get(EVENTS).set(bearer(bare)).expect(401);
    // An admin JWT with the prefix goes to the viewer verifier: another key and another typ.
    await http()
      .get(EVENTS)
      .set(bearer(`avt_${admin}`))
      .expect(401);
    // Signed with the viewer key but typed as an admin JWT (and the other way round): refused.
    const viewerKey = new Uint8Array(
      hkdfSync('sha256', SECRET, '', 'auditkit:viewer-token:v1', 32),
    );
    const now = Math.floor(clock.ms / 1000);
    const adminShaped = await new SignJWT({ orgs: { acme: ['org-admin'] }, org: 'acme' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('u-forger')
      .setJti('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(viewerKey);
    await http().get(EVENTS).set(bearer(adminShaped)).expect(401);
    await http()
      .get(EVENTS)
      .set(bearer(`avt_${adminShaped}`))
      .expect(401);
    const viewerTyped = await new SignJWT({ org: 'acme' })
      .setProtectedHeader({ alg: 'HS256', typ: 'auditkit-viewer+jwt' })
      .setJti('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(SECRET));
    await http()
      .get(EVENTS)
      .set(bearer(`avt_${viewerTyped}`))
      .expect(401);
    // A viewer token living longer than the maximum was not minted here.
    const tooLong = await new SignJWT({ org: 'acme' })
      .setProtectedHeader({ alg: 'HS256', typ: 'auditkit-viewer+jwt' })
      .setJti('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 86_401)
      .sign(viewerKey);
    await http()
      .get(EVENTS)
      .set(bearer(`avt_${tooLong}`))
      .expect(401);
  });

  it('applies its narrowing when the request names none: events, event by id, histogram, stream', async () => {
    const list = await http().get(EVENTS).set(bearer(narrowed)).expect(200);
    expect(ids(list)).toEqual([ev.e5.id, ev.e2.id]);
    await http().get(`${EVENTS}/${ev.e2.id}`).set(bearer(narrowed)).expect(200);
    for (const e of [ev.early, ev.e3, ev.e4]) {
      await http().get(`${EVENTS}/${e.id}`).set(bearer(narrowed)).expect(404);
    }
    const histogram = await http().get(`${ORG}/events-histogram`).set(bearer(narrowed)).expect(200);
    expect(histogram.body.meta.total).toBe(2);
    expect(histogram.body.meta.from).toBe(at(0).toISOString());
    const stream = await http().get(`${ORG}/events-stream`).set(bearer(narrowed)).expect(200);
    expect(ids(stream)).toEqual([ev.e2.id, ev.e5.id]);
    // Paging with its own cursors stays inside.
    const first = await http().get(`${EVENTS}?limit=1`).set(bearer(narrowed)).expect(200);
    const next = await http()
      .get(`${EVENTS}?cursor=${encodeURIComponent(first.body.meta.next)}`)
      .set(bearer(narrowed))
      .expect(200);
    expect([...ids(first), ...ids(next)]).toEqual([ev.e5.id, ev.e2.id]);
    // Narrower than the token is fine.
    const narrower = await http()
      .get(`${EVENTS}?action=group_created&actor=u-1&product=jira&from=${at(2).toISOString()}`)
      .set(bearer(narrowed))
      .expect(200);
    expect(ids(narrower)).toEqual([ev.e5.id]);
  });

  it('cannot widen its filters: action, actor, product, from; 403 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['action=user_invited', 'action'],
      ['action=group_created,user_invited', 'action'],
      ['actor=u-2', 'actor'],
      ['product=confluence', 'product'],
      [`from=${at(-200).toISOString()}`, 'from'],
    ];
    for (const [query, parameter] of cases) {
      for (const path of ['events', 'events-histogram']) {
        const res = await http().get(`${ORG}/${path}?${query}`).set(bearer(narrowed));
        expect({ path, query, status: res.status }).toEqual({ path, query, status: 403 });
        expect(errorOf(res)).toMatchObject({ code: 'outside_viewer_token', source: { parameter } });
      }
    }
    const stream = await http()
      .get(`${ORG}/events-stream?from=${at(-200).toISOString()}`)
      .set(bearer(narrowed));
    expect(stream.status).toBe(403);
    expect(errorOf(stream).source).toEqual({ parameter: 'from' });
  });

  it("cannot widen its filters with an admin's cursor sent alone", async () => {
    const page = async (query: string) => {
      const res = await http().get(`${EVENTS}?${query}`).set(bearer(admin)).expect(200);
      return encodeURIComponent(res.body.meta.next);
    };
    const wider: [string, string][] = [
      ['action=group_created,user_invited&limit=1', 'action'],
      ['actor=u-1,u-2&limit=1', 'actor'],
      ['product=jira,confluence&limit=1', 'product'],
      [`from=${at(-200).toISOString()}&limit=1`, 'from'],
    ];
    for (const [query, parameter] of wider) {
      const res = await http()
        .get(`${EVENTS}?cursor=${await page(query)}`)
        .set(bearer(narrowed));
      expect({ query, status: res.status }).toEqual({ query, status: 403 });
      expect(errorOf(res).source).toEqual({ parameter });
    }
    // An admin's cursor with no filters at all continues inside the token.
    const res = await http()
      .get(`${EVENTS}?cursor=${await page('limit=1')}`)
      .set(bearer(narrowed))
      .expect(200);
    expect(ids(res)).toEqual([ev.e2.id]);
    // An admin's stream cursor from before the token's start is refused too.
    const all = await http()
      .get(`${ORG}/events-stream?limit=1&from=${at(-200).toISOString()}`)
      .set(bearer(admin))
      .expect(200);
    const streamed = await http()
      .get(`${ORG}/events-stream?cursor=${encodeURIComponent(all.body.meta.next)}`)
      .set(bearer(narrowed))
      .expect(403);
    expect(errorOf(streamed).source).toEqual({ parameter: 'from' });
  });

  it('only reads: nothing to manage or write, no session, no minting', async () => {
    // Exports: test/export/viewer-export.e2e-spec.ts (this app has no export module).
    const refused: [string, string, object?][] = [
      ['post', EVENTS, { action: 'group_created', actor: { id: 'u-1' } }],
      ['get', `${ORG}/api-keys`],
      ['post', `${ORG}/api-keys`, { name: 'x', scope: ['events:read'], expiresInDays: 1 }],
      ['post', `${ORG}/viewer-tokens`, {}],
      ['get', '/admin/v1/session'],
      ['delete', `${ORG}/users/u-admin/sessions`],
    ];
    for (const t of [narrowed, whole]) {
      for (const [method, url, body] of refused) {
        let req = (http() as unknown as Record<string, (u: string) => request.Test>)[method](url);
        req = req.set(bearer(t));
        const res = await (body ? req.send(body) : req);
        expect({ method, url, status: res.status }).toEqual({ method, url, status: 403 });
      }
    }
    // The integrity report speaks of the whole log: an unnarrowed viewer only.
    await http().get(`${ORG}/integrity`).set(bearer(whole)).expect(200);
    await http().get(`${ORG}/integrity`).set(bearer(narrowed)).expect(403);
  });

  it('is minted over REST by an org admin of the org only', async () => {
    const VT = `${ORG}/viewer-tokens`;
    const res = await http()
      .post(VT)
      .set(bearer(admin))
      .send({ actions: ['group_created'], ttlSeconds: 300, exportEmail: 'viewer@host.test' })
      .expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.data).toMatchObject({
      type: 'viewer-tokens',
      attributes: {
        orgId: 'acme',
        narrowing: { actions: ['group_created'] },
        exportEmail: 'viewer@host.test',
      },
    });
    const { token, expiresAt } = res.body.data.attributes;
    expect(Date.parse(expiresAt) - clock.ms).toBeLessThanOrEqual(300_000);
    const read = await http().get(EVENTS).set(bearer(token)).expect(200);
    expect(
      new Set(read.body.data.map((e: { attributes: { action: string } }) => e.attributes.action)),
    ).toEqual(new Set(['group_created']));
    // Refused: no token, another org's admin, a member, an API key, a viewer token.
    await http().post(VT).send({}).expect(401);
    const other = await tokenFor({ globex: ['org-admin'] });
    await http().post(VT).set(bearer(other)).send({}).expect(403);
    await http()
      .post(VT)
      .set(bearer(await tokenFor({ acme: ['member'] })))
      .send({})
      .expect(403);
    const key = await http()
      .post(`${ORG}/api-keys`)
      .set(bearer(admin))
      .send({ name: 'k', scope: ['events:read', 'exports'], expiresInDays: 1 })
      .expect(201);
    await http().post(VT).set(bearer(key.body.data.attributes.secret)).send({}).expect(403);
    await http().post(VT).set(bearer(token)).send({}).expect(403);
    // Bad bodies: 400 naming the field.
    const bad: [object, string][] = [
      [{ actions: ['no_such_action'] }, '/actions'],
      [{ actions: 'group_created' }, '/actions'],
      [{ ttlSeconds: 86_401 }, '/ttlSeconds'],
      [{ ttlSeconds: '60' }, '/ttlSeconds'],
      [{ exportEmail: 'not an address' }, '/exportEmail'],
      [{ from: 'yesterday' }, '/from'],
      [{ actors: Array.from({ length: 51 }, (_, i) => `u-${i}`) }, '/actors'],
      [{ org: 'globex' }, '/org'],
    ];
    for (const [body, pointer] of bad) {
      const r = await http().post(VT).set(bearer(admin)).send(body);
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
      expect(
        r.body.errors.map((e: { source?: { pointer?: string } }) => e.source?.pointer),
      ).toContain(pointer);
    }
  });

  it('answers CORS for the allowed origins only, without credentials', async () => {
    const preflight = await http()
      .options(EVENTS)
      .set('Origin', HOST)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization')
      .expect(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': HOST,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'Authorization, Content-Type',
    });
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const read = await http().get(EVENTS).set('Origin', HOST).set(bearer(whole)).expect(200);
    expect(read.headers['access-control-allow-origin']).toBe(HOST);
    expect(read.headers.vary).toMatch(/Origin/);
    const ui = await http().get('/app.js').set('Origin', HOST).expect(200);
    expect(ui.headers['access-control-allow-origin']).toBe(HOST);
    // Another origin: no CORS header at all.
    const evil = await http().get(EVENTS).set('Origin', 'https://evil.test').set(bearer(whole));
    expect(evil.status).toBe(200);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const evilPreflight = await http()
      .options(EVENTS)
      .set('Origin', 'https://evil.test')
      .set('Access-Control-Request-Method', 'GET');
    expect(evilPreflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(evilPreflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('keeps the tokens out of every log line', async () => {
    const secrets = [narrowed, whole].map((t) => t.split('.')[2]);
    const all = logger.lines.map((l) => l.message).join('\n');
    for (const s of secrets) expect(all).not.toContain(s);
    expect(all).not.toContain('avt_');
  });
});

describe('viewer tokens in host mode (resolvePrincipal)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({
          resolvePrincipal: () => undefined,
          secret: 'host-mode-secret-0123456789abcdef',
        }),
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

  it("takes a viewer token beside the host's principal", async () => {
    const { token } = await app.get(ViewerTokenService).mint({ orgId: 'acme' });
    await request(app.getHttpServer()).get(EVENTS).expect(401);
    await request(app.getHttpServer())
      .get(EVENTS)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    await request(app.getHttpServer())
      .get('/admin/v1/orgs/globex/events')
      .set('Authorization', `Bearer ${token}`)
      .expect(403);
  });
});
