import request from 'supertest';
import { DATABASES } from '../support/databases';
import { ApiHarness, getWith, startApi, tokenFor } from './api-harness';

const PATH = '/admin/v1/orgs/acme/events';

const example = () => ({
  action: 'user_added_to_group',
  actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
  targets: [
    { id: 'u-9', type: 'user', name: 'Bob Li', email: 'bob@acme.test' },
    { id: 'g-1', type: 'group', name: 'jira-admins' },
  ],
  site: { id: 's-1', name: 'acme.atlassian.test' },
  product: 'jira',
  location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
  outcome: 'success',
  metadata: { reason: 'onboarding' },
  time: '2026-11-20T17:04:05.123Z',
});

describe.each(DATABASES)('POST events on %s', (kind) => {
  let api: ApiHarness;
  let writer: string;
  let reader: string;

  const post = (body: unknown, key?: string) => {
    const req = request(api.server).post(PATH).set('Authorization', `Bearer ${writer}`);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body as object);
  };
  const count = async (query = '') =>
    (await getWith(api.server, reader, `${PATH}?limit=1000${query}`).expect(200)).body.data.length;

  beforeAll(async () => {
    api = await startApi(kind);
    writer = await tokenFor({ acme: ['site-admin'] }, { scope: 'events:write', sub: 'svc-ingest' });
    reader = await tokenFor({ acme: ['org-admin'] });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('201 with the stored event as a resource, readable at once', async () => {
    const res = await post(example()).expect(201);
    const { data } = res.body;
    expect(data).toMatchObject({
      type: 'events',
      attributes: {
        time: '2026-11-20T17:04:05.123Z',
        action: 'user_added_to_group',
        category: 'groups',
        actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
        outcome: 'success',
        metadata: { reason: 'onboarding' },
      },
      message: { content: 'Jane Doe added Bob Li to jira-admins', format: 'simple' },
      links: { self: `${PATH}/${data.id}` },
    });
    expect(data.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(data.attributes.seq).toBe(1);
    const one = await getWith(api.server, reader, `${PATH}/${data.id}`).expect(200);
    expect(one.body.data).toEqual(data);
  });

  it('defaults time to now and redacts secret-looking metadata at any depth', async () => {
    const before = Date.now();
    const res = await post({
      action: 'group_created',
      actor: { id: 'u-1' },
      metadata: {
        apiToken: 'abc',
        nested: { password: 'hunter2', list: [{ Authorization: 'Bearer x' }] },
        keep: 1,
      },
    }).expect(201);
    const a = res.body.data.attributes;
    expect(Date.parse(a.time)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(a.time)).toBeLessThanOrEqual(Date.now() + 5);
    expect(a.metadata).toEqual({
      apiToken: '[REDACTED]',
      nested: { password: '[REDACTED]', list: [{ Authorization: '[REDACTED]' }] },
      keep: 1,
    });
  });

  it('takes time as epoch milliseconds too', async () => {
    const ms = Date.parse('2026-11-01T08:30:00.250Z');
    const res = await post({ action: 'group_created', actor: { id: 'u-1' }, time: ms }).expect(201);
    expect(res.body.data.attributes.time).toBe('2026-11-01T08:30:00.250Z');
    const bad = await post({ action: 'group_created', actor: { id: 'u-1' }, time: 1.5 }).expect(
      400,
    );
    expect(bad.body.errors[0].source).toEqual({ pointer: '/time' });
  });

  describe('Idempotency-Key', () => {
    it('a replay with the same body answers 200 with the first event (same id and seq)', async () => {
      const before = await count();
      const first = await post(example(), 'replay-1').expect(201);
      // The same body with its keys in another order is the same body.
      const { metadata, action, ...rest } = example();
      const second = await post({ metadata, ...rest, action }, 'replay-1').expect(200);
      expect(second.body.data.id).toBe(first.body.data.id);
      expect(second.body.data.attributes.seq).toBe(first.body.data.attributes.seq);
      expect(second.body).toEqual(first.body);
      expect(await count()).toBe(before + 1);
    });

    it('the same key with another body is a 409, and stores nothing', async () => {
      await post(example(), 'conflict-1').expect(201);
      const before = await count();
      const res = await post({ ...example(), outcome: 'failure' }, 'conflict-1').expect(409);
      expect(res.body.errors[0]).toMatchObject({ status: '409', code: 'conflict' });
      expect(res.body.data).toBeUndefined();
      expect(await count()).toBe(before);
    });

    it('keys are per org: the same key in another org is another event', async () => {
      const both = await tokenFor(
        { acme: ['site-admin'], globex: ['site-admin'] },
        { scope: 'events:write' },
      );
      const a = await request(api.server)
        .post(PATH)
        .set('Authorization', `Bearer ${both}`)
        .set('Idempotency-Key', 'per-org')
        .send(example())
        .expect(201);
      const b = await request(api.server)
        .post('/admin/v1/orgs/globex/events')
        .set('Authorization', `Bearer ${both}`)
        .set('Idempotency-Key', 'per-org')
        .send(example())
        .expect(201);
      expect(b.body.data.id).not.toBe(a.body.data.id);
    });

    it('concurrent requests with one key store exactly one event', async () => {
      const body = { ...example(), actor: { id: 'u-concurrent', name: 'Concurrent Carla' } };
      const responses = await Promise.all(
        Array.from({ length: 12 }, () => post(body, 'concurrent-1')),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(11);
      const ids = new Set(responses.map((r) => r.body.data.id));
      expect(ids.size).toBe(1);
      expect(new Set(responses.map((r) => r.body.data.attributes.seq)).size).toBe(1);
      expect(await count('&actor=u-concurrent')).toBe(1);
    });

    it('refuses a key that is not 1 to 255 visible ASCII characters', async () => {
      for (const key of ['has space', 'x'.repeat(256)]) {
        const res = await post(example(), key).expect(400);
        expect(res.body.errors[0]).toMatchObject({
          status: '400',
          code: 'invalid_header',
          source: { header: 'Idempotency-Key' },
        });
      }
    });
  });

  describe('refused bodies', () => {
    it('a body over 64 KiB is a 413', async () => {
      const before = await count();
      const big = { ...example(), metadata: { blob: 'x'.repeat(64 * 1024) } };
      const res = await post(big).expect(413);
      expect(res.body.errors[0]).toMatchObject({ status: '413', code: 'payload_too_large' });
      expect(await count()).toBe(before);
    });

    it('a body over 64 KiB sent without Content-Length (chunked) is a 413 too', async () => {
      const req = request(api.server)
        .post(PATH)
        .set('Authorization', `Bearer ${writer}`)
        .set('Content-Type', 'application/json')
        .set('Transfer-Encoding', 'chunked');
      const body = JSON.stringify({ ...example(), metadata: { blob: 'y'.repeat(70 * 1024) } });
      req.write(body.slice(0, 1000));
      req.write(body.slice(1000));
      const res = await req;
      expect(res.status).toBe(413);
      expect(res.body.errors[0].status).toBe('413');
    });

    it('an unknown action is a 422 naming /action', async () => {
      const res = await post({ ...example(), action: 'user_teleported' }).expect(422);
      expect(res.body.errors[0]).toMatchObject({
        status: '422',
        code: 'unknown_action',
        source: { pointer: '/action' },
      });
      expect(res.body.errors[0].detail).toContain('user_teleported');
    });

    it.each([
      ['id', '01JD7AAAAAAAAAAAAAAAAAAAAA'],
      ['seq', 5],
      ['orgId', 'globex'],
      ['orgId', 'acme'],
      ['id', null],
      ['seq', null],
      ['orgId', null],
    ])('%s = %j in the body is a 400 naming the field', async (field, value) => {
      const res = await post({ ...example(), [field]: value }).expect(400);
      expect(res.body.errors[0]).toMatchObject({ status: '400', source: { pointer: `/${field}` } });
      expect(res.body.errors[0].detail).toContain(field);
    });

    const nested: [string, (b: any) => void, string][] = [
      ['actor.id a number', (b) => (b.actor.id = 42), '/actor/id'],
      ['actor missing', (b) => delete b.actor, '/actor'],
      ['actor.name a lone surrogate', (b) => (b.actor.name = 'Jane \ud800'), '/actor/name'],
      ['a target without type', (b) => delete b.targets[1].type, '/targets/1/type'],
      ['a target name an object', (b) => (b.targets[0].name = { first: 'Bob' }), '/targets/0/name'],
      ['targets not an array', (b) => (b.targets = { id: 'u-9' }), '/targets'],
      ['site.id missing', (b) => delete b.site.id, '/site/id'],
      ['location.ip not an IP', (b) => (b.location.ip = 'not-an-ip'), '/location/ip'],
      ['location.userAgent a number', (b) => (b.location.userAgent = 5), '/location/userAgent'],
      ['outcome unknown', (b) => (b.outcome = 'maybe'), '/outcome'],
      ['time not a date', (b) => (b.time = 'yesterday'), '/time'],
      [
        'time two days ahead',
        (b) => (b.time = new Date(Date.now() + 2 * 86_400_000).toISOString()),
        '/time',
      ],
      ['metadata an array', (b) => (b.metadata = [1]), '/metadata'],
      [
        'metadata nested too deep',
        (b) => (b.metadata = { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } }),
        '/metadata/a/b/c/d/e/f/g/h',
      ],
      ['category of another action', (b) => (b.category = 'security_policies'), '/category'],
      ['an unknown field', (b) => (b.colour = 'red'), '/colour'],
      ['an unknown field inside actor', (b) => (b.actor.role = 'boss'), '/actor/role'],
    ];
    it.each(nested)('%s is a 400 naming %s', async (_name, mutate, pointer) => {
      const body = example() as any;
      mutate(body);
      const res = await post(body).expect(400);
      expect(res.body.errors[0]).toMatchObject({ status: '400', source: { pointer } });
    });

    it('a body that is not a JSON object is a 400', async () => {
      for (const raw of ['[1,2]', '"text"', '{"action":', 'null']) {
        const res = await request(api.server)
          .post(PATH)
          .set('Authorization', `Bearer ${writer}`)
          .set('Content-Type', 'application/json')
          .send(raw);
        expect(res.status).toBe(400);
        expect(res.body.errors[0].status).toBe('400');
      }
    });

    it('nothing refused was stored', async () => {
      // Only the accepted requests of this file are there: 1 + 1 + 1 + 1 + 1 + 1 + 1 (acme).
      expect(await count()).toBe(7);
    });
  });
});
