import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { verifyEventChain } from '@auditkit/nestjs';
import { AUDIT_DATA_SOURCE } from '../../libs/audit-log/src/audit-log.internal-constants';
import { EventStore } from '../../libs/audit-log/src/store/event-store';
import { DATABASES } from '../support/databases';
import { ApiHarness, getWith, startApi, tokenFor } from './api-harness';

const event = (i: number, org = 'acme') => ({
  action: 'user_added_to_group',
  actor: { id: `u-${i % 7}`, type: 'user', name: `Admin ${i % 7}` },
  targets: [
    { id: `u-${i}`, type: 'user', name: `User ${i}`, email: `user${i}@${org}.test` },
    { id: 'g-1', type: 'group', name: 'jira-admins' },
  ],
  site: { id: 's-1', name: 'acme.atlassian.test' },
  product: 'jira',
  location: { ip: '203.0.113.7', userAgent: 'bulk-test' },
  metadata: { item: i },
  time: 1764547200000 + i,
});

describe.each(DATABASES)('POST events/bulk on %s', (kind) => {
  let api: ApiHarness;
  let ds: DataSource;
  let writer: string;
  let reader: string;

  const post = (org: string, body: unknown, key?: string, token = writer) => {
    const req = request(api.server)
      .post(`/admin/v1/orgs/${org}/events/bulk`)
      .set('Authorization', `Bearer ${token}`);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body as object);
  };

  /** The org's events in seq order; seqs gap-free from 1 and the chain verified. */
  async function stored(org: string): Promise<{ id: string; seq: number; item: number }[]> {
    const rows: { id: string; seq: number | string; metadata: string }[] = await ds.query(
      'SELECT id, seq, metadata FROM auditkit_events WHERE org_id = ? ORDER BY seq',
      [org],
    );
    const out = rows.map((r) => ({
      id: r.id,
      seq: Number(r.seq),
      item: JSON.parse(r.metadata).item as number,
    }));
    expect(out.map((r) => r.seq)).toEqual(out.map((_, i) => i + 1));
    expect(await verifyEventChain(ds, org)).toMatchObject({ ok: true, checked: out.length });
    return out;
  }

  beforeAll(async () => {
    api = await startApi(kind);
    ds = api.app.get(AUDIT_DATA_SOURCE);
    const orgs = ['acme', 'mixed', 'replay', 'limits', 'race', 'bad', 'auth'];
    writer = await tokenFor(Object.fromEntries(orgs.map((o) => [o, ['site-admin']])), {
      scope: 'events:write',
      sub: 'svc-bulk',
    });
    reader = await tokenFor({ acme: ['org-admin'], mixed: ['org-admin'] });
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await api?.close();
  });

  it('stores 1,000 events in one commit: gap-free seqs in item order, a verifying chain', async () => {
    await post('acme', { events: [event(-1)] }).expect(201);
    const write = jest.spyOn(EventStore.prototype, 'write');
    const body = { events: Array.from({ length: 1000 }, (_, i) => event(i)) };
    // Well over the 64 KiB of POST events: the bulk route has a limit of its own.
    expect(JSON.stringify(body).length).toBeGreaterThan(64 * 1024);
    const res = await post('acme', body).expect(201);
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0][0]).toHaveLength(1000);

    expect(res.body.meta).toEqual({ stored: 1000, rejected: 0 });
    expect(res.body.data).toHaveLength(1000);
    res.body.data.forEach((d: { index: number; seq: number; id: string }, i: number) => {
      expect(d).toEqual({
        index: i,
        id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
        type: 'events',
        seq: i + 2,
        links: { self: `/admin/v1/orgs/acme/events/${d.id}` },
      });
    });
    const rows = await stored('acme');
    expect(rows.slice(1).map((r) => r.item)).toEqual(body.events.map((_, i) => i));
    expect(rows.slice(1).map((r) => r.id)).toEqual(res.body.data.map((d: { id: string }) => d.id));
    // Readable at once, as a whole event.
    const one = await getWith(api.server, reader, res.body.data[999].links.self).expect(200);
    expect(one.body.data.attributes).toMatchObject({ seq: 1001, metadata: { item: 999 } });
  });

  it('stores the valid items and names each rejected one with its index and field', async () => {
    const items: unknown[] = [
      event(0, 'mixed'),
      { ...event(1, 'mixed'), action: 5 },
      event(2, 'mixed'),
      { ...event(3, 'mixed'), action: 'user_teleported' },
      { ...event(4, 'mixed'), orgId: 'globex' },
      'not an event',
      { ...event(6, 'mixed'), category: 'billing' },
      { ...event(7, 'mixed'), actor: { id: 'u-1', type: 'user', name: 'x'.repeat(2000) } },
      event(8, 'mixed'),
    ];
    const res = await post('mixed', { events: items }).expect(201);
    expect(res.body.meta).toEqual({ stored: 3, rejected: 6 });
    const byIndex = res.body.data as { index: number; seq?: number; errors?: any[] }[];
    expect(byIndex.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(byIndex.filter((d) => d.seq).map((d) => [d.index, d.seq])).toEqual([
      [0, 1],
      [2, 2],
      [8, 3],
    ]);
    const pointers = (i: number) => byIndex[i].errors!.map((e) => [e.status, e.code, e.source]);
    expect(pointers(1)).toEqual([['400', 'invalid_field', { pointer: '/events/1/action' }]]);
    expect(pointers(3)).toEqual([['422', 'unknown_action', { pointer: '/events/3/action' }]]);
    expect(pointers(4)).toEqual([['400', 'invalid_field', { pointer: '/events/4/orgId' }]]);
    expect(pointers(5)).toEqual([['400', 'invalid_field', { pointer: '/events/5' }]]);
    expect(pointers(6)).toEqual([['400', 'invalid_field', { pointer: '/events/6/category' }]]);
    expect(pointers(7)).toEqual([['400', 'invalid_field', { pointer: '/events/7/actor/name' }]]);
    for (const i of [1, 3, 4, 5, 6, 7]) {
      expect(byIndex[i].errors![0]).toEqual(
        expect.objectContaining({ title: expect.any(String), detail: expect.any(String) }),
      );
      expect(Object.keys(byIndex[i])).toEqual(['index', 'errors']);
    }
    expect((await stored('mixed')).map((r) => r.item)).toEqual([0, 2, 8]);
  });

  it('a bulk with no valid item is a 400 (422 when each names an unknown action) and stores nothing', async () => {
    const res = await post('bad', {
      events: [{ action: 'group_created' }, { ...event(1), action: 'user_teleported' }],
    }).expect(400);
    expect(res.body.errors.map((e: any) => [e.status, e.code, e.source.pointer])).toEqual([
      ['400', 'invalid_field', '/events/0/actor'],
      ['400', 'unknown_action', '/events/1/action'],
    ]);
    const unknown = await post('bad', {
      events: [
        { ...event(0), action: 'nope' },
        { ...event(1), action: 'nope_either' },
      ],
    }).expect(422);
    expect(unknown.body.errors.map((e: any) => e.source.pointer)).toEqual([
      '/events/0/action',
      '/events/1/action',
    ]);
    expect(await stored('bad')).toEqual([]);
  });

  it('refuses bodies that are not a list of 1 to 1,000 events, storing nothing', async () => {
    const tooMany = await post('limits', {
      events: Array.from({ length: 1001 }, (_, i) => event(i)),
    }).expect(413);
    expect(tooMany.body.errors[0]).toMatchObject({
      status: '413',
      source: { pointer: '/events' },
    });
    expect(tooMany.body.errors[0].detail).toContain('1000');
    const empty = await post('limits', { events: [] }).expect(400);
    expect(empty.body.errors[0].source).toEqual({ pointer: '/events' });
    await post('limits', { events: { 0: event(0) } }).expect(400);
    await post('limits', [event(0)]).expect(400);
    const extra = await post('limits', { events: [event(0)], orgId: 'globex' }).expect(400);
    expect(extra.body.errors[0]).toMatchObject({
      code: 'unknown_field',
      source: { pointer: '/orgId' },
    });
    await post('limits', { events: [event(0)] }, 'with space').expect(400);
    expect(await stored('limits')).toEqual([]);
  });

  it('refuses a body larger than 1,000 events of POST events can be before reading it', async () => {
    const port = await new Promise<number>((resolve) => {
      if (api.server.listening) return resolve((api.server.address() as AddressInfo).port);
      api.server.listen(0, '127.0.0.1', () => resolve((api.server.address() as AddressInfo).port));
    });
    const declared = async (length: number) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            // A connection each: the server closes the one it answered 413 on, unread.
            agent: false,
            method: 'POST',
            path: '/admin/v1/orgs/limits/events/bulk',
            headers: {
              Authorization: `Bearer ${writer}`,
              'Content-Type': 'application/json',
              'Content-Length': String(length),
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await declared(1000 * (64 * 1024 + 1) + 65)).toBe(413);
    // 8 MiB at most, whatever maxBodyBytes allows: the body is read before the token is checked.
    expect(await declared(8 * 1024 * 1024 + 1)).toBe(413);
    // POST events keeps its own 64 KiB.
    const big = { ...event(0), metadata: { blob: 'x'.repeat(70 * 1024) } };
    await request(api.server)
      .post('/admin/v1/orgs/limits/events')
      .set('Authorization', `Bearer ${writer}`)
      .send(big)
      .expect(413);
  });

  describe('Idempotency-Key', () => {
    const body = () => ({
      events: [event(0), { ...event(1), action: 'nope' }, event(2)],
    });

    it('a replay with the same body answers 200 with the same per-item result, writing nothing', async () => {
      const first = await post('replay', body(), 'bulk-1').expect(201);
      const write = jest.spyOn(EventStore.prototype, 'write');
      // Key order does not matter.
      const reordered = {
        events: body().events.map((e) => Object.fromEntries(Object.entries(e).reverse())),
      };
      const second = await post('replay', reordered, 'bulk-1').expect(200);
      expect(second.body).toEqual(first.body);
      expect((await stored('replay')).map((r) => r.id)).toEqual(
        first.body.data.filter((d: any) => d.id).map((d: any) => d.id),
      );
      // Looked up under the org lock, found, not written again.
      for (const call of write.mock.calls) expect(call[1]).toEqual({ mayBeStored: true });
    });

    it('the same key with another body is a 409 and stores nothing; so is a key of POST events', async () => {
      await post('replay', body(), 'bulk-2').expect(201);
      const before = (await stored('replay')).length;
      const other = { events: [event(0), event(2)] };
      const res = await post('replay', other, 'bulk-2').expect(409);
      expect(res.body.errors[0]).toMatchObject({ status: '409', code: 'conflict' });
      await request(api.server)
        .post('/admin/v1/orgs/replay/events')
        .set('Authorization', `Bearer ${writer}`)
        .set('Idempotency-Key', 'single-1')
        .send(event(9))
        .expect(201);
      await post('replay', body(), 'single-1').expect(409);
      expect((await stored('replay')).length).toBe(before + 1);
    });

    it('concurrent requests with one key store the items once: one 201, the rest 200', async () => {
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => post('race', body(), 'race-1')),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
      for (const r of responses) expect(r.body.data).toEqual(responses[0].body.data);
      expect((await stored('race')).map((r) => r.item)).toEqual([0, 2]);
    });
  });

  it('auth: none 401, another org 403, without events:write 403', async () => {
    const body = { events: [event(0)] };
    await request(api.server).post('/admin/v1/orgs/auth/events/bulk').send(body).expect(401);
    const otherOrg = await tokenFor({ globex: ['site-admin'] }, { scope: 'events:write' });
    await post('auth', body, undefined, otherOrg).expect(403);
    const noScope = await tokenFor({ auth: ['org-admin'] }, { sub: 'u-admin' });
    await post('auth', body, undefined, noScope).expect(403);
    expect(await stored('auth')).toEqual([]);
  });
});
