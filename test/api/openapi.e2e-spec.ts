import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { ApiExceptionFilter, signAuditToken } from '@auditkit/nestjs/admin';
import { AdminAppModule } from '../../apps/admin/src/admin-app.module';
import { loadConfig } from '../../apps/admin/src/config';
import { committedOpenApiText, OPENAPI_PATH, serveOpenApi } from '../../apps/admin/src/openapi';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import { downloadLink } from '../export/support/export-app';
import { SECRET, tokenFor } from './api-harness';
import { TestReceiver } from '../destinations/support/receiver';

type Doc = ReturnType<typeof serveOpenApi>;
type Operation = { responses: Record<string, Record<string, any>> };

const DOC_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
// The web UI's static files: the only routes of the app the document leaves out, on purpose.
// The web UI's static files and Prometheus' text exposition (README "Metrics") are not part of
// the JSON API the document describes.
const UI_ROUTES = ['GET /', 'GET /{name}.js', 'GET /{name}.css', 'GET /favicon.ico'];
const NOT_API_ROUTES = [...UI_ROUTES, 'GET /metrics'];

/** Checks real responses against the document: status, media type, body schema, headers. */
class Checker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp }[];
  /** `GET /path/{x}` -> statuses seen. */
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly doc: Doc) {
    addFormats(this.ajv);
    // Fixed segments win over parameters, as in the router.
    this.templates = Object.keys(doc.paths)
      .map((template) => ({
        template,
        pattern: new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
      }))
      .sort((a, b) => a.template.split('{').length - b.template.split('{').length);
  }

  /** The validator of `schema` with the document's components, so its $refs resolve. */
  validator(key: string, schema: object): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      v = this.ajv.compile({ ...schema, components: this.doc.components });
      this.compiled.set(key, v);
    }
    return v;
  }

  check(method: string, url: string, res: request.Response): void {
    const path = url.split('?')[0];
    const found = this.templates.find((t) => t.pattern.test(path));
    const where = `${method.toUpperCase()} ${found?.template ?? path}`;
    expect({ where, documented: !!found }).toEqual({ where, documented: true });
    const op = this.doc.paths[found!.template][method] as Operation | undefined;
    expect({ where, documented: !!op }).toEqual({ where, documented: true });
    const statuses = this.seen.get(where) ?? new Set<number>();
    statuses.add(res.status);
    this.seen.set(where, statuses);
    const documented = op!.responses[String(res.status)];
    const text = res.text ?? '';
    if (!documented) {
      throw new Error(`${where} answered ${res.status}, which it does not document: ${text}`);
    }
    for (const header of Object.keys(documented.headers ?? {})) {
      if (res.headers[header.toLowerCase()] === undefined) {
        throw new Error(`${where} ${res.status} lacks its documented header ${header}`);
      }
    }
    const content = documented.content as Record<string, { schema?: object }> | undefined;
    if (!content) {
      expect({ where, status: res.status, body: text }).toEqual({
        where,
        status: res.status,
        body: '',
      });
      return;
    }
    const media = String(res.headers['content-type'] ?? '').split(';')[0];
    if (!content[media]) {
      throw new Error(
        `${where} ${res.status} answered ${media}, documented: ${Object.keys(content)}`,
      );
    }
    const schema = content[media].schema;
    if (!schema) return;
    const body = media === 'application/json' ? JSON.parse(text) : text;
    const validate = this.validator(`${where} ${res.status} ${media}`, schema);
    if (!validate(body)) {
      throw new Error(
        `${where} ${res.status}: the body does not match the document: ${this.ajv.errorsText(validate.errors)}\n${text.slice(0, 2000)}`,
      );
    }
  }
}

/** The routes the running app has, as `GET /admin/v1/orgs/{orgId}/events`. */
function appRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance();
  const stack: any[] = (express.router ?? express._router).stack;
  const routes: string[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    // Middleware bound with forRoutes (the body limit on POST admin/v1/*path) is no route.
    if (String(layer.route.path).includes('*')) continue;
    const path = String(layer.route.path).replace(/:(\w+)/g, '{$1}');
    for (const [method, on] of Object.entries(layer.route.methods ?? {})) {
      if (on && method !== '_all') routes.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return [...new Set(routes)].sort();
}

function documentedRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
}

describe.each(DATABASES)('the OpenAPI document against the admin app on %s', (kind) => {
  let db: TestDatabase;
  let dataDir: string;
  let app: INestApplication;
  let server: Server;
  let doc: Doc;
  let checker: Checker;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    dataDir = mkdtempSync(join(tmpdir(), 'auditkit-openapi-'));
    const config = loadConfig({
      AUDITKIT_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      AUDITKIT_JWT_SECRET: SECRET,
      AUDITKIT_EXPORT_RATE_LIMIT: '3/15m',
    });
    app = await NestFactory.create(AdminAppModule.forConfig(config), {
      bodyParser: false,
      logger: false,
      abortOnError: false,
    });
    app.useGlobalFilters(new ApiExceptionFilter());
    doc = serveOpenApi(app, config.publicUrl);
    await app.init();
    server = app.getHttpServer();
    checker = new Checker(doc);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A request whose answer is checked against the document before the test sees it. */
  async function call(
    method: 'get' | 'post' | 'patch' | 'delete',
    url: string,
    o: { token?: string; cookie?: string; headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<request.Response> {
    let req = request(server)[method](url);
    if (o.token) req = req.set('Authorization', `Bearer ${o.token}`);
    if (o.cookie) req = req.set('Cookie', o.cookie);
    for (const [k, v] of Object.entries(o.headers ?? {})) req = req.set(k, v);
    if (o.body !== undefined) req = req.send(o.body as string | object);
    // Keep every body as text, so what is checked is what was sent.
    const res = await req.buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
    });
    res.text = res.body as unknown as string;
    checker.check(method, url, res);
    return res;
  }

  const admin = () => tokenFor({ acme: ['org-admin'] });
  const writer = () => tokenFor({ acme: ['member'] }, { scope: 'events:write', sub: 'u-writer' });
  const outsider = () => tokenFor({ globex: ['org-admin'] }, { sub: 'u-outsider' });
  const event = (name = 'jira-admins') => ({
    action: 'group_created',
    actor: { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' },
    targets: [{ id: 'g-1', type: 'group', name }],
    site: { id: 's-1', name: 'acme.atlassian.test' },
    product: 'jira',
    location: { ip: '203.0.113.7', userAgent: 'curl/8' },
    metadata: { reason: 'onboarding', password: 'hunter2' },
  });
  const json = (res: request.Response) => JSON.parse(res.text);

  it('is the committed docs/openapi.json (run `npm run openapi` after changing a route)', () => {
    expect(readFileSync(DOC_FILE, 'utf8')).toBe(committedOpenApiText(app));
  });

  it('is OpenAPI 3.1 whose schemas compile as JSON Schema 2020-12', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(JSON.stringify(doc)).not.toContain('"nullable"');
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() =>
        checker.validator(`#${name}`, { $ref: `#/components/schemas/${name}` }),
      ).not.toThrow();
    }
  });

  it('documents every route of the app, and nothing the app does not have', () => {
    const documented = documentedRoutes(doc);
    const served = appRoutes(app).filter((r) => !NOT_API_ROUTES.includes(r));
    expect(served).toEqual(documented);
    expect(appRoutes(app)).toEqual(expect.arrayContaining(NOT_API_ROUTES));
  });

  it('the validator catches a body that does not match (so the checks below can fail)', () => {
    const v = checker.validator('#EventList-wrong', { $ref: '#/components/schemas/EventList' });
    expect(
      v({ data: [{ id: 'x' }], meta: { next: null, page_size: 1 }, links: { self: '/' } }),
    ).toBe(false);
    expect(v({ data: [], meta: { next: 5, page_size: 1 }, links: { self: '/' } })).toBe(false);
    expect(v({ data: [], meta: { next: null, page_size: 1 }, links: { self: '/' } })).toBe(true);
  });

  it('health, readiness, keys and the document itself', async () => {
    await call('get', '/healthz');
    expect((await call('get', '/readyz')).status).toBe(200);
    expect((await call('get', '/admin/v1/integrity/keys')).status).toBe(200);
    const served = await call('get', OPENAPI_PATH);
    expect(json(served)).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  let stored: { id: string };

  it('POST events: 201, replay 200, 409, 400, 401, 403, 413, 415, 422', async () => {
    const w = await writer();
    const created = await call('post', '/admin/v1/orgs/acme/events', { token: w, body: event() });
    expect(created.status).toBe(201);
    stored = json(created).data;
    const keyed = { token: w, headers: { 'Idempotency-Key': 'k-1' } };
    expect(
      (await call('post', '/admin/v1/orgs/acme/events', { ...keyed, body: event('a') })).status,
    ).toBe(201);
    expect(
      (await call('post', '/admin/v1/orgs/acme/events', { ...keyed, body: event('a') })).status,
    ).toBe(200);
    expect(
      (await call('post', '/admin/v1/orgs/acme/events', { ...keyed, body: event('b') })).status,
    ).toBe(409);
    const badKey = { token: w, headers: { 'Idempotency-Key': 'with space' }, body: event() };
    expect((await call('post', '/admin/v1/orgs/acme/events', badKey)).status).toBe(400);
    const noActor = { action: 'group_created' };
    expect(
      (await call('post', '/admin/v1/orgs/acme/events', { token: w, body: noActor })).status,
    ).toBe(400);
    const unknown = { ...event(), action: 'no_such_action' };
    expect(
      (await call('post', '/admin/v1/orgs/acme/events', { token: w, body: unknown })).status,
    ).toBe(422);
    expect((await call('post', '/admin/v1/orgs/acme/events', { body: event() })).status).toBe(401);
    const other = await outsider();
    expect(
      (await call('post', '/admin/v1/orgs/acme/events', { token: other, body: event() })).status,
    ).toBe(403);
    const huge = { ...event(), metadata: { blob: 'x'.repeat(70 * 1024) } };
    expect(
      (await call('post', '/admin/v1/orgs/acme/events', { token: w, body: huge })).status,
    ).toBe(413);
    const text = { token: w, headers: { 'Content-Type': 'text/plain' }, body: 'hello' };
    expect((await call('post', '/admin/v1/orgs/acme/events', text)).status).toBe(415);
  });

  it('POST events/bulk: 201, replay 200, 409, 400, 401, 403, 413, 415, 422', async () => {
    const url = '/admin/v1/orgs/acme/events/bulk';
    const w = await writer();
    const mixed = { events: [event('bulk-a'), { ...event(), action: 'no_such_action' }] };
    const created = await call('post', url, { token: w, body: mixed });
    expect(json(created).meta).toEqual({ stored: 1, rejected: 1 });
    const keyed = { token: w, headers: { 'Idempotency-Key': 'bulk-k-1' } };
    expect((await call('post', url, { ...keyed, body: mixed })).status).toBe(201);
    expect((await call('post', url, { ...keyed, body: mixed })).status).toBe(200);
    const other = { events: [event('bulk-b')] };
    expect((await call('post', url, { ...keyed, body: other })).status).toBe(409);
    expect((await call('post', url, { token: w, body: { events: [] } })).status).toBe(400);
    const unknown = { events: [{ ...event(), action: 'no_such_action' }] };
    expect((await call('post', url, { token: w, body: unknown })).status).toBe(422);
    const tooMany = { events: Array.from({ length: 1001 }, () => event()) };
    expect((await call('post', url, { token: w, body: tooMany })).status).toBe(413);
    expect((await call('post', url, { body: other })).status).toBe(401);
    expect((await call('post', url, { token: await outsider(), body: other })).status).toBe(403);
    const text = { token: w, headers: { 'Content-Type': 'text/plain' }, body: 'hello' };
    expect((await call('post', url, text)).status).toBe(415);
  });

  it('GET events, one event, the actions and the viewer config: 200, paging, 400, 401, 403, 404', async () => {
    const a = await admin();
    const page = await call('get', '/admin/v1/orgs/acme/events?limit=1&action=group_created', {
      token: a,
    });
    expect(page.status).toBe(200);
    const next = json(page).links.next as string;
    expect(next).toBeDefined();
    expect((await call('get', next, { token: a })).status).toBe(200);
    expect((await call('get', '/admin/v1/orgs/acme/events?limit=0', { token: a })).status).toBe(
      400,
    );
    expect((await call('get', '/admin/v1/orgs/acme/events')).status).toBe(401);
    expect(
      (await call('get', '/admin/v1/orgs/acme/events', { token: await writer() })).status,
    ).toBe(403);
    const one = await call('get', `/admin/v1/orgs/acme/events/${stored.id}`, { token: a });
    expect(json(one).data.attributes.metadata.password).toBe('[REDACTED]');
    expect(
      (await call('get', `/admin/v1/orgs/globex/events/${stored.id}`, { token: await outsider() }))
        .status,
    ).toBe(404);
    expect(
      (await call('get', '/admin/v1/orgs/acme/events/nope', { token: await outsider() })).status,
    ).toBe(403);
    expect((await call('get', '/admin/v1/orgs/acme/event-actions', { token: a })).status).toBe(200);
    expect((await call('get', '/admin/v1/orgs/acme/event-actions')).status).toBe(401);
    const viewer = await call('get', '/admin/v1/orgs/acme/viewer-config', { token: a });
    expect(json(viewer).data).toEqual({ targetLinks: {}, columns: [] });
    expect((await call('get', '/admin/v1/orgs/acme/viewer-config')).status).toBe(401);
    expect(
      (await call('get', '/admin/v1/orgs/acme/viewer-config', { token: await outsider() })).status,
    ).toBe(403);
  });

  it('GET events-stream: 200 with a cursor on every page, 400, 401, 403', async () => {
    const a = await admin();
    const page = await call('get', '/admin/v1/orgs/acme/events-stream?limit=1', { token: a });
    expect(json(page).data[0].attributes.processedAt).toBeDefined();
    const next = json(page).links.next as string;
    expect((await call('get', next, { token: a })).status).toBe(200);
    const url = '/admin/v1/orgs/acme/events-stream';
    expect((await call('get', `${url}?limit=501`, { token: a })).status).toBe(400);
    expect((await call('get', url)).status).toBe(401);
    expect((await call('get', url, { token: await writer() })).status).toBe(403);
  });

  it('GET events-histogram: 200 (rollup and events), 400, 401, 403', async () => {
    const a = await admin();
    const url = '/admin/v1/orgs/acme/events-histogram';
    const days = json(await call('get', `${url}?interval=day`, { token: a }));
    expect(days.meta.source).toBe('rollup');
    expect(days.meta.total).toBeGreaterThan(0);
    const hours = json(
      await call('get', `${url}?interval=hour&from=${Date.now() - 86_400_000}&actor=u-1`, {
        token: a,
      }),
    );
    expect(hours.meta.source).toBe('events');
    expect((await call('get', `${url}?interval=week`, { token: a })).status).toBe(400);
    expect((await call('get', url)).status).toBe(401);
    expect((await call('get', url, { token: await outsider() })).status).toBe(403);
  });

  it('GET integrity: 200, 401, 403', async () => {
    const report = await call('get', '/admin/v1/orgs/acme/integrity', { token: await admin() });
    expect(json(report).data.attributes.ok).toBe(true);
    expect((await call('get', '/admin/v1/orgs/acme/integrity')).status).toBe(401);
    const other = await outsider();
    expect((await call('get', '/admin/v1/orgs/acme/integrity', { token: other })).status).toBe(403);
  });

  it('the session: sign in 200, read 200, sign out 403 without CSRF then 204, 401', async () => {
    expect((await call('post', '/admin/v1/session')).status).toBe(401);
    const signed = await call('post', '/admin/v1/session', { token: await admin() });
    expect(signed.status).toBe(200);
    const cookies = ([] as string[])
      .concat(signed.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]);
    const cookie = cookies.join('; ');
    const csrf = cookies.find((c) => c.startsWith('auditkit_csrf='))!.split('=')[1];
    expect((await call('get', '/admin/v1/session', { cookie })).status).toBe(200);
    expect((await call('get', '/admin/v1/session')).status).toBe(401);
    expect((await call('delete', '/admin/v1/session', { cookie })).status).toBe(403);
    const out = await call('delete', '/admin/v1/session', {
      cookie,
      headers: { 'X-CSRF-Token': csrf },
    });
    expect(out.status).toBe(204);
    expect((await call('get', '/admin/v1/session', { cookie })).status).toBe(401);
  });

  it('sign-in methods 200; the OIDC routes 404 where OIDC is not configured', async () => {
    const methods = await call('get', '/admin/v1/session/providers');
    expect(methods.status).toBe(200);
    expect(JSON.parse(methods.text)).toEqual({ data: { tokenSignIn: true, oidc: null } });
    for (const route of ['login', 'callback', 'logout']) {
      const res = await call('get', `/admin/v1/session/oidc/${route}`, {
        headers: { Accept: 'application/json' },
      });
      expect({ route, status: res.status }).toEqual({ route, status: 404 });
    }
  });

  it("ending a user's sessions: 200, 400, 401, 403", async () => {
    const a = await admin();
    const ended = await call('delete', '/admin/v1/orgs/acme/users/u-admin/sessions', { token: a });
    expect(ended.status).toBe(200);
    const long = `/admin/v1/orgs/acme/users/${'u'.repeat(1100)}/sessions`;
    expect((await call('delete', long, { token: a })).status).toBe(400);
    expect((await call('delete', '/admin/v1/orgs/acme/users/u-1/sessions')).status).toBe(401);
    const other = await outsider();
    expect(
      (await call('delete', '/admin/v1/orgs/acme/users/u-1/sessions', { token: other })).status,
    ).toBe(403);
  });

  it('API keys: 201 with the secret once, 200, 400, 401, 403, 404', async () => {
    const a = await admin();
    const body = { name: 'siem', scope: ['events:read'], expiresInDays: 30 };
    const created = await call('post', '/admin/v1/orgs/acme/api-keys', { token: a, body });
    expect(created.status).toBe(201);
    const { data } = JSON.parse(created.text);
    const listed = await call('get', '/admin/v1/orgs/acme/api-keys', { token: a });
    expect(listed.status).toBe(200);
    const read = await call('get', '/admin/v1/orgs/acme/events?limit=1', {
      token: data.attributes.secret,
    });
    expect(read.status).toBe(200);
    const bad = { ...body, expiresInDays: 999 };
    expect(
      (await call('post', '/admin/v1/orgs/acme/api-keys', { token: a, body: bad })).status,
    ).toBe(400);
    expect((await call('get', '/admin/v1/orgs/acme/api-keys')).status).toBe(401);
    const other = await outsider();
    expect((await call('get', '/admin/v1/orgs/acme/api-keys', { token: other })).status).toBe(403);
    const revoked = await call('delete', `/admin/v1/orgs/acme/api-keys/${data.id}`, { token: a });
    expect(revoked.status).toBe(200);
    const gone = await call('delete', `/admin/v1/orgs/globex/api-keys/${data.id}`, {
      token: await tokenFor({ globex: ['org-admin'] }),
    });
    expect(gone.status).toBe(404);
  });

  it('viewer tokens: 201 with the token, 400, 401, 403; the token reads', async () => {
    const a = await admin();
    const url = '/admin/v1/orgs/acme/viewer-tokens';
    const created = await call('post', url, {
      token: a,
      body: { actions: ['group_created'], ttlSeconds: 600, exportEmail: 'v@host.test' },
    });
    expect(created.status).toBe(201);
    const { token } = JSON.parse(created.text).data.attributes;
    expect((await call('get', '/admin/v1/orgs/acme/events?limit=1', { token })).status).toBe(200);
    expect((await call('post', url, { token: a, body: { ttlSeconds: 0 } })).status).toBe(400);
    expect((await call('post', url, { body: {} })).status).toBe(401);
    expect((await call('post', url, { token: await outsider(), body: {} })).status).toBe(403);
    expect((await call('post', url, { token, body: {} })).status).toBe(403);
  });

  it('exports: 202 with Location, 200, 400, 401, 403, 404, 422, 429, and the download', async () => {
    const a = await admin();
    const queued = await call('post', '/admin/v1/orgs/acme/exports', {
      token: a,
      body: { action: 'group_created' },
    });
    expect(queued.status).toBe(202);
    const id = json(queued).data.id as string;
    const self = `/admin/v1/orgs/acme/exports/${id}`;
    await waitFor('the export to be ready', async () => {
      const res = await call('get', self, { token: a });
      return json(res).data.attributes.status === 'ready' || undefined;
    });
    expect((await call('get', '/admin/v1/orgs/acme/exports/nope', { token: a })).status).toBe(404);
    const recent = await call('get', '/admin/v1/orgs/acme/exports?limit=5', { token: a });
    expect(recent.status).toBe(200);
    expect(json(recent).data[0].id).toBe(id);
    const badLimit = await call('get', '/admin/v1/orgs/acme/exports?limit=0', { token: a });
    expect(json(badLimit).errors[0].source).toEqual({ parameter: 'limit' });
    expect((await call('get', '/admin/v1/orgs/acme/exports')).status).toBe(401);
    expect(
      (await call('get', '/admin/v1/orgs/acme/exports', { token: await outsider() })).status,
    ).toBe(403);
    expect(
      (await call('post', '/admin/v1/orgs/acme/exports', { token: a, body: { ip: 'x' } })).status,
    ).toBe(400);
    expect((await call('post', '/admin/v1/orgs/acme/exports', { body: {} })).status).toBe(401);
    const other = await outsider();
    expect(
      (await call('post', '/admin/v1/orgs/acme/exports', { token: other, body: {} })).status,
    ).toBe(403);
    expect((await call('get', self, { token: other })).status).toBe(403);
    const noEmail = await signAuditToken(
      { sub: 'u-no-mail', orgs: { acme: ['org-admin'] } },
      SECRET,
      3600,
    );
    expect(
      (await call('post', '/admin/v1/orgs/acme/exports', { token: noEmail, body: {} })).status,
    ).toBe(422);
    // The limit is per user and org: a burst of one user runs into it.
    const burst = await tokenFor({ acme: ['org-admin'] }, { sub: 'u-burst' });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await call('post', '/admin/v1/orgs/acme/exports', { token: burst, body: { ip: 'x' } }))
          .status,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 429]);

    const outbox = join(dataDir, 'outbox');
    const file = await waitFor('the mail in the outbox', () =>
      readdirSync(outbox).find((n) => n.endsWith('.eml')),
    );
    const link = downloadLink(await simpleParser(readFileSync(join(outbox, file!))));
    const path = link.slice(new URL(link).origin.length);
    const csv = await call('get', path);
    expect(csv.status).toBe(200);
    expect(csv.text.split('\r\n')[0]).toMatch(/^Date,Actor,/);
    expect((await call('get', `${path}&file=manifest`)).status).toBe(200);
    expect((await call('get', `${path}&file=other`)).status).toBe(400);
    expect((await call('get', '/admin/v1/exports/download?token=forged')).status).toBe(403);
    expect((await call('get', '/admin/v1/exports/download')).status).toBe(403);
  });

  it('destinations: 201 with Location, 200, 204, 400, 401, 403, 404, and the test delivery', async () => {
    const a = await admin();
    const other = await outsider();
    const receiver = await TestReceiver.start();
    try {
      const base = '/admin/v1/orgs/acme/destinations';
      const body = {
        type: 'webhook',
        url: `${receiver.url}/hook`,
        secret: 'openapi-webhook-secret-0123',
      };
      const created = await call('post', base, { token: a, body });
      expect(created.status).toBe(201);
      const self = created.headers.location;
      expect((await call('get', base, { token: a })).status).toBe(200);
      expect((await call('get', self, { token: a })).status).toBe(200);
      expect((await call('patch', self, { token: a, body: { name: 'SIEM' } })).status).toBe(200);
      expect(
        (await call('patch', self, { token: a, body: { url: 'http://x.example' } })).status,
      ).toBe(400);
      expect((await call('post', `${self}/pause`, { token: a, body: {} })).status).toBe(200);
      expect((await call('post', `${self}/resume`, { token: a, body: {} })).status).toBe(200);
      const test = await call('post', `${self}/test`, { token: a, body: {} });
      expect(json(test).data.attributes.ok).toBe(true);
      expect((await call('post', base, { token: a, body: { type: 'webhook' } })).status).toBe(400);
      expect((await call('get', base)).status).toBe(401);
      expect((await call('get', base, { token: other })).status).toBe(403);
      for (const [method, path] of [
        ['get', self],
        ['patch', self],
        ['delete', self],
        ['post', `${self}/pause`],
        ['post', `${self}/resume`],
        ['post', `${self}/test`],
      ] as const) {
        const globex = path.replace('/orgs/acme/', '/orgs/globex/');
        expect((await call(method, globex, { token: other, body: {} })).status).toBe(404);
        expect((await call(method, path, { token: other, body: {} })).status).toBe(403);
      }
      expect((await call('delete', self, { token: a })).status).toBe(204);
      expect((await call('get', self, { token: a })).status).toBe(404);
    } finally {
      await receiver.stop();
    }
  });

  it('every documented operation was called, and the main statuses were seen', () => {
    const called = [...checker.seen.keys()].sort();
    expect(called).toEqual(documentedRoutes(doc));
    const all = new Set([...checker.seen.values()].flatMap((s) => [...s]));
    for (const status of [200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 415, 422, 429]) {
      expect({ status, seen: all.has(status) }).toEqual({ status, seen: true });
    }
  });
});
