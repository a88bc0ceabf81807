import request from 'supertest';
import { DestinationDispatcher } from '@auditkit/nestjs/destinations';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { waitFor } from '../support/wait-for';
import { tokenFor } from '../api/api-harness';
import { DispatcherProcess } from './support/dispatcher-process';
import { DestinationsApp, openDatabase, startDestinationsApp } from './support/destinations-app';
import { Received, TestReceiver } from './support/receiver';

const SECRET = 'whsec-instances-0123456789abcdef';
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const distinct = (seqs: number[]) => seqs.filter((s, i) => seqs.indexOf(s) === i);

/**
 * In arrival order, every batch is consecutive seqs that start right after the highest seq seen
 * so far, or repeat seqs already sent (a batch whose acknowledgement was lost): never a gap,
 * never one event overtaking another.
 */
function expectInOrder(received: Received[]): void {
  let high = 0;
  for (const got of received) {
    if (!got.seqs.length) continue;
    expect(got.seqs).toEqual(upTo(got.seqs.length).map((i) => got.seqs[0] + i - 1));
    expect(got.seqs[0]).toBeLessThanOrEqual(high + 1);
    high = Math.max(high, got.seqs[got.seqs.length - 1]);
  }
}

describe('several instances on one MariaDB database', () => {
  let db: TestDatabase;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    token = await tokenFor({ acme: ['org-admin'], globex: ['org-admin'], crash: ['org-admin'] });
  });

  afterAll(async () => {
    await db?.drop();
  });

  const create = async (h: DestinationsApp, org: string, url: string) => {
    const res = await request(h.server)
      .post(`/admin/v1/orgs/${org}/destinations`)
      .set('Authorization', `Bearer ${token}`)
      .send({ type: 'webhook', url, secret: SECRET });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  };

  it('two instances share the destinations: each event delivered, in order, once per destination', async () => {
    // a holds two destinations at most, so that the three are spread over both instances.
    const a = await startDestinationsApp(db.url, {
      instanceId: 'a',
      maxConcurrent: 2,
      batchSize: 10,
    });
    let b!: DestinationsApp;
    const receivers = await Promise.all(
      [1, 2, 3].map(() => TestReceiver.start({ secret: SECRET })),
    );
    try {
      const orgs = ['acme', 'acme', 'globex'];
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await create(a, orgs[i], `${receivers[i].url}/hook`));
      // a takes two (its most), b the third, and later what a lets go.
      await waitFor('a holding two', () => a.app.get(DestinationDispatcher).held().length === 2);
      b = await startDestinationsApp(db.url, { instanceId: 'b', maxConcurrent: 3, batchSize: 10 });
      const holders = await waitFor('all three held', () => {
        const held = [a, b].map((h) => h.app.get(DestinationDispatcher).held());
        return held.flat().length === 3 ? held : undefined;
      });
      expect(holders!.every((held) => held.length >= 1)).toBe(true);
      expect(new Set(holders!.flat())).toEqual(new Set(ids));
      // Both instances record, concurrently.
      const recordOn = (h: DestinationsApp, org: string, n: number, tag: string) =>
        Promise.all(upTo(n).map((i) => h.audit.record(groupCreated(org, `${tag}${i}`))));
      await Promise.all([
        recordOn(a, 'acme', 60, 'a'),
        recordOn(b, 'acme', 60, 'b'),
        recordOn(a, 'globex', 40, 'a'),
        recordOn(b, 'globex', 40, 'b'),
      ]);
      const expected = [120, 120, 80];
      await waitFor('everything delivered', () =>
        receivers.every((r, i) => r.acked().length >= expected[i]),
      );
      for (let i = 0; i < 3; i++) {
        // Nothing was lost in transit here, so nothing came twice.
        expect(receivers[i].arrived()).toEqual(upTo(expected[i]));
        expectInOrder(receivers[i].received);
      }
      // One instance stops: the other takes its destinations over and nothing is skipped.
      await a.close();
      // A clean stop lets its leases go at once: the other instance need not wait for expiry.
      const ds = await openDatabase(db);
      try {
        const held: unknown[] = await ds.query(
          "SELECT id FROM auditkit_destinations WHERE lease_owner = 'a'",
        );
        expect(held).toEqual([]);
      } finally {
        await ds.destroy();
      }
      await recordOn(b, 'acme', 30, 'c');
      await waitFor('the rest delivered by b', () =>
        receivers
          .slice(0, 2)
          .every((r) => distinct(r.arrived()).length >= 150 && r.acked().includes(150)),
      );
      for (const r of receivers.slice(0, 2)) {
        expect(distinct(r.arrived())).toEqual(upTo(150));
        expectInOrder(r.received);
      }
    } finally {
      await a.close().catch(() => undefined);
      await b?.close();
      for (const r of receivers) await r.stop();
    }
  });

  it('a worker killed mid-batch: after a restart nothing is skipped, and only the batch whose answer was lost comes twice', async () => {
    // The API and recording, no delivery in this process.
    const api = await startDestinationsApp(db.url, { enabled: false });
    const r = await TestReceiver.start({ secret: SECRET });
    let worker: DispatcherProcess | undefined;
    try {
      await create(api, 'crash', `${r.url}/hook`);
      for (let i = 1; i <= 35; i++) await api.audit.record(groupCreated('crash', `g${i}`));
      // The first batch is taken; the second arrives and is never answered.
      r.next({ kind: 'status', status: 200 }, { kind: 'hold' });
      worker = await DispatcherProcess.start(db.url, 'crashing-worker');
      await waitFor('the second batch at the receiver', () => r.received.length >= 2);
      await worker.kill();
      expect(r.received[1].seqs).toEqual(upTo(20).slice(10));
      expect(r.received[1].status).toBe(0);
      // A new process takes over once the dead one's lease has run out.
      worker = await DispatcherProcess.start(db.url, 'restarted-worker');
      await waitFor('all 35 taken', () => r.acked().includes(35), { timeoutMs: 20_000 });
      expect(distinct(r.arrived())).toEqual(upTo(35));
      expectInOrder(r.received);
      const repeated = r.arrived().filter((s, i, all) => all.indexOf(s) !== i);
      expect(repeated).toEqual(upTo(20).slice(10));
    } finally {
      await worker?.kill();
      await api.close();
      await r.stop();
    }
  });
});
