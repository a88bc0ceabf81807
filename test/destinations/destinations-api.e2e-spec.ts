import request from 'supertest';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { tokenFor } from '../api/api-harness';
import { DestinationsApp, openDatabase, startDestinationsApp } from './support/destinations-app';
import { TestReceiver } from './support/receiver';

const BASE = '/admin/v1/orgs/acme/destinations';
const WEBHOOK_SECRET = 'whsec-never-in-clear-0123456789';
const HEC_TOKEN = 'hec-token-never-in-clear-abcdef';

describe.each(DATABASES)('destinations API on %s', (kind) => {
  let db: TestDatabase;
  let h: DestinationsApp;
  let admin: string;
  let other: string;
  let member: string;
  let receiver: TestReceiver;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // Delivery off: this suite is about the API (delivery.e2e-spec.ts delivers).
    h = await startDestinationsApp(db.url, { enabled: false });
    admin = await tokenFor({ acme: ['org-admin'] });
    other = await tokenFor({ globex: ['org-admin'] });
    member = await tokenFor({ acme: ['member'] });
    receiver = await TestReceiver.start({ secret: WEBHOOK_SECRET });
  });

  afterAll(async () => {
    await h?.close();
    await receiver?.stop();
    await db?.drop();
  });

  const post = (path: string, body: unknown, token = admin) =>
    request(h.server)
      .post(path)
      .set('Authorization', `Bearer ${token}`)
      .send(body as object);
  const get = (path: string, token = admin) =>
    request(h.server).get(path).set('Authorization', `Bearer ${token}`);

  it('creates a webhook, shows it without its secret, and lists it', async () => {
    await h.audit.record(groupCreated('acme', 'before'));
    const res = await post(BASE, {
      type: 'webhook',
      name: 'SIEM',
      url: `${receiver.url}/hook`,
      secret: WEBHOOK_SECRET,
    });
    expect(res.status).toBe(201);
    const d = res.body.data;
    expect(res.headers.location).toBe(`${BASE}/${d.id}`);
    expect(d.attributes).toMatchObject({
      type: 'webhook',
      name: 'SIEM',
      state: 'active',
      settings: { url: `${receiver.url}/hook` },
      secrets: { secret: true },
      // Starts at the beginning: the event recorded before is owed.
      deliveredSeq: 0,
      headSeq: 1,
      lagEvents: 1,
    });
    expect(JSON.stringify(res.body)).not.toContain(WEBHOOK_SECRET);
    const list = await get(BASE);
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: { id: string }) => x.id)).toContain(d.id);
    expect(JSON.stringify(list.body)).not.toContain(WEBHOOK_SECRET);
    const one = await get(`${BASE}/${d.id}`);
    expect(one.body.data.id).toBe(d.id);
  });

  it('starts at now when told, and takes a Splunk HEC destination', async () => {
    const res = await post(BASE, {
      type: 'splunk_hec',
      url: 'https://splunk.example:8088',
      token: HEC_TOKEN,
      index: 'audit',
      start: 'now',
    });
    expect(res.status).toBe(201);
    expect(res.body.data.attributes).toMatchObject({
      type: 'splunk_hec',
      target: 'https://splunk.example:8088/',
      settings: { index: 'audit' },
      secrets: { token: true },
      deliveredSeq: 1,
      lagEvents: 0,
    });
  });

  it.each([
    [{ type: 'webhook', url: 'http://siem.example/hook', secret: WEBHOOK_SECRET }, '/url', /https/],
    [{ type: 'webhook', url: 'http://10.0.0.1/hook', secret: WEBHOOK_SECRET }, '/url', /loopback/],
    [{ type: 'webhook', url: 'ftp://x.example', secret: WEBHOOK_SECRET }, '/url', /https/],
    [{ type: 'webhook', url: 'https://u:p@x.example', secret: WEBHOOK_SECRET }, '/url', /password/],
    [{ type: 'webhook', url: 'not a url', secret: WEBHOOK_SECRET }, '/url', /valid URL/],
    [{ type: 'webhook', secret: WEBHOOK_SECRET }, '/url', /required/],
    [{ type: 'webhook', url: 'https://x.example' }, '/secret', /required/],
    [{ type: 'webhook', url: 'https://x.example', secret: 'short' }, '/secret', /at least 16/],
    [{ type: 'webhook', url: 'https://x.example', secret: 42 }, '/secret', /string/],
    [
      { type: 'webhook', url: 'https://x.example', secret: WEBHOOK_SECRET, extra: 1 },
      '/extra',
      /should not exist/,
    ],
    [
      { type: 'webhook', url: 'https://x.example', secret: WEBHOOK_SECRET, ca: 'nope' },
      '/ca',
      /PEM/,
    ],
    [
      { type: 'webhook', url: 'https://x.example', secret: WEBHOOK_SECRET, start: 'later' },
      '/start',
      /beginning or now/,
    ],
    [{ type: 'carrier-pigeon' }, '/type', /one of webhook, splunk_hec/],
    [{}, '/type', /required/],
    [{ type: 'splunk_hec', url: 'https://x.example' }, '/token', /required/],
    [
      { type: 'splunk_hec', url: 'https://x.example', token: 't', index: 'a b;c' },
      '/index',
      /letters/,
    ],
  ])('refuses %j with a 400 naming %s', async (body, pointer, detail) => {
    const res = await post(BASE, body);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].source).toEqual({ pointer });
    expect(res.body.errors[0].detail).toMatch(detail);
  });

  it('takes http:// on loopback addresses only', async () => {
    for (const url of ['http://localhost:9/x', 'http://127.1.2.3:9/x', 'http://[::1]:9/x']) {
      const res = await post(BASE, { type: 'webhook', url, secret: WEBHOOK_SECRET, start: 'now' });
      expect({ url, status: res.status }).toEqual({ url, status: 201 });
      await request(h.server)
        .delete(`${BASE}/${res.body.data.id}`)
        .set('Authorization', `Bearer ${admin}`)
        .expect(204);
    }
  });

  it('refuses a body that is not an object', async () => {
    const res = await post(BASE, [1, 2]);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe('invalid_body');
  });

  it('changes settings and secrets with PATCH, keeps the cursor, refuses a type change', async () => {
    const created = await post(BASE, {
      type: 'webhook',
      url: `${receiver.url}/a`,
      secret: WEBHOOK_SECRET,
    });
    const id = created.body.data.id;
    const patch = (body: unknown) =>
      request(h.server)
        .patch(`${BASE}/${id}`)
        .set('Authorization', `Bearer ${admin}`)
        .send(body as object);
    const changed = await patch({ url: `${receiver.url}/b`, name: 'renamed' });
    expect(changed.status).toBe(200);
    expect(changed.body.data.attributes).toMatchObject({
      name: 'renamed',
      settings: { url: `${receiver.url}/b` },
      secrets: { secret: true },
      deliveredSeq: 0,
    });
    expect((await patch({ secret: 'another-secret-0123456789' })).status).toBe(200);
    const bad = await patch({ type: 'splunk_hec' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].source).toEqual({ pointer: '/type' });
    expect((await patch({ url: 'http://example.com' })).body.errors[0].source).toEqual({
      pointer: '/url',
    });
    // The new secret signs from now on.
    receiver.received.length = 0;
    const test = await post(`${BASE}/${id}/test`, {});
    expect(test.status).toBe(200);
    expect(test.body.data.attributes).toEqual({ ok: true });
    expect(receiver.received[0].headers['auditkit-test']).toBe('true');
    expect(receiver.received[0].signatureOk).toBe(false);
  });

  it('pauses and resumes', async () => {
    const created = await post(BASE, {
      type: 'webhook',
      url: `${receiver.url}/p`,
      secret: WEBHOOK_SECRET,
    });
    const id = created.body.data.id;
    const paused = await post(`${BASE}/${id}/pause`, {});
    expect(paused.status).toBe(200);
    expect(paused.body.data.attributes).toMatchObject({ state: 'paused', pausedReason: 'admin' });
    const resumed = await post(`${BASE}/${id}/resume`, {});
    expect(resumed.body.data.attributes).toMatchObject({ state: 'active', pausedReason: null });
  });

  it('a test delivery reports a receiver that refuses', async () => {
    const created = await post(BASE, {
      type: 'webhook',
      url: `${receiver.url}/t`,
      secret: WEBHOOK_SECRET,
    });
    receiver.next({ kind: 'status', status: 500, body: 'boom' });
    const res = await post(`${BASE}/${created.body.data.id}/test`, {});
    expect(res.status).toBe(200);
    expect(res.body.data.attributes).toEqual({
      ok: false,
      error: 'The webhook answered HTTP 500: boom',
    });
  });

  it('answers 401 without a token, 403 to another org, a non-admin or an API key, 404 for an id of another org', async () => {
    const created = await post(BASE, {
      type: 'webhook',
      url: `${receiver.url}/z`,
      secret: WEBHOOK_SECRET,
    });
    const id = created.body.data.id;
    const routes: [string, string][] = [
      ['get', BASE],
      ['post', BASE],
      ['get', `${BASE}/${id}`],
      ['patch', `${BASE}/${id}`],
      ['delete', `${BASE}/${id}`],
      ['post', `${BASE}/${id}/pause`],
      ['post', `${BASE}/${id}/resume`],
      ['post', `${BASE}/${id}/test`],
    ];
    for (const [method, path] of routes) {
      const call = (token?: string) => {
        const r = (request(h.server) as unknown as Record<string, (p: string) => request.Test>)[
          method
        ](path);
        if (token) r.set('Authorization', `Bearer ${token}`);
        return method === 'get' || method === 'delete' ? r : r.send({});
      };
      expect({ method, path, status: (await call()).status }).toEqual({
        method,
        path,
        status: 401,
      });
      expect({ method, path, status: (await call(other)).status }).toEqual({
        method,
        path,
        status: 403,
      });
      expect({ method, path, status: (await call(member)).status }).toEqual({
        method,
        path,
        status: 403,
      });
    }
    // An org API key, whatever its scope, never manages destinations.
    const key = await post('/admin/v1/orgs/acme/api-keys', {
      name: 'siem',
      scope: ['events:read', 'events:write', 'exports'],
      expiresInDays: 1,
    });
    expect(key.status).toBe(201);
    const apiKey = key.body.data.attributes.secret;
    expect((await get(BASE, apiKey)).status).toBe(403);
    expect((await get(`${BASE}/${id}`, apiKey)).status).toBe(403);
    expect((await post(BASE, { type: 'webhook' }, apiKey)).status).toBe(403);
    expect((await post(`${BASE}/${id}/pause`, {}, apiKey)).status).toBe(403);
    // globex's admin, on globex's path, with acme's id: not found there.
    const globex = `/admin/v1/orgs/globex/destinations/${id}`;
    expect((await get(globex, other)).status).toBe(404);
    expect(
      (await request(h.server).delete(globex).set('Authorization', `Bearer ${other}`)).status,
    ).toBe(404);
    expect((await post(`${globex}/pause`, {}, other)).status).toBe(404);
    expect((await get(`${BASE}/not-an-id`)).status).toBe(404);
    // And acme's destination is still there.
    expect((await get(`${BASE}/${id}`)).status).toBe(200);
    await request(h.server)
      .delete(`${BASE}/${id}`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(204);
    expect((await get(`${BASE}/${id}`)).status).toBe(404);
  });

  it('after a change of encryption key, a destination says so and takes its secret again', async () => {
    const created = await post(BASE, {
      type: 'webhook',
      url: `${receiver.url}/rekeyed`,
      secret: WEBHOOK_SECRET,
    });
    const id = created.body.data.id;
    const rekeyed = await startDestinationsApp(db.url, {
      enabled: false,
      encryptionKey: 'another-destinations-key-0123456789',
    });
    try {
      const self = `${BASE}/${id}`;
      const test = await request(rekeyed.server)
        .post(`${self}/test`)
        .set('Authorization', `Bearer ${admin}`)
        .send({});
      expect(test.body.data.attributes).toEqual({
        ok: false,
        error:
          'its secrets cannot be read with the configured encryption key; set them again (PATCH)',
      });
      const patch = (body: object) =>
        request(rekeyed.server).patch(self).set('Authorization', `Bearer ${admin}`).send(body);
      const missing = await patch({ name: 'rekeyed' });
      expect(missing.status).toBe(400);
      expect(missing.body.errors[0].source).toEqual({ pointer: '/secret' });
      expect((await patch({ secret: 'a-new-secret-0123456789' })).status).toBe(200);
      const again = await request(rekeyed.server)
        .post(`${self}/test`)
        .set('Authorization', `Bearer ${admin}`)
        .send({});
      expect(again.body.data.attributes).toEqual({ ok: true });
    } finally {
      await rekeyed.close();
    }
  });

  it('keeps secrets out of the database in clear, and out of the logs', async () => {
    const ds = await openDatabase(db);
    try {
      const rows: Record<string, unknown>[] = await ds.query('SELECT * FROM auditkit_destinations');
      expect(rows.length).toBeGreaterThan(2);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(WEBHOOK_SECRET);
      expect(dump).not.toContain(HEC_TOKEN);
      expect(dump).not.toContain(Buffer.from(WEBHOOK_SECRET).toString('base64'));
      for (const r of rows) if (r.secret !== null) expect(String(r.secret)).toMatch(/^v1\.[\w-]+$/);
    } finally {
      await ds.destroy();
    }
    const logged = JSON.stringify(h.logs.lines);
    expect(logged).not.toContain(WEBHOOK_SECRET);
    expect(logged).not.toContain(HEC_TOKEN);
  });
});
