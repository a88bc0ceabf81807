import request from 'supertest';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { waitFor } from '../support/wait-for';
import { tokenFor } from '../api/api-harness';
import { DestinationsApp, openDatabase, startDestinationsApp } from './support/destinations-app';
import { selfSignedCert, TestReceiver } from './support/receiver';

const SECRET = 'whsec-delivery-0123456789abcdef';
const HEC_TOKEN = '11111111-2222-3333-4444-555555555555';

/** 1..n, what every receiver must end up with. */
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
/** The seqs without repeats, keeping the first arrival of each. */
const distinct = (seqs: number[]) => seqs.filter((s, i) => seqs.indexOf(s) === i);

describe.each(DATABASES)('delivering to destinations on %s', (kind) => {
  let db: TestDatabase;
  let h: DestinationsApp;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    h = await startDestinationsApp(db.url, { batchSize: 7 });
    token = await tokenFor(
      Object.fromEntries(
        ['inorder', 'downup', 'slow', 'paused', 'hec', 'purged'].map((o) => [o, ['org-admin']]),
      ),
    );
  });

  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  async function create(org: string, body: Record<string, unknown>): Promise<string> {
    const res = await request(h.server)
      .post(`/admin/v1/orgs/${org}/destinations`)
      .set('Authorization', `Bearer ${token}`)
      .send(body);
    expect(res.status).toBe(201);
    return res.body.data.id;
  }

  async function show(org: string, id: string) {
    const res = await request(h.server)
      .get(`/admin/v1/orgs/${org}/destinations/${id}`)
      .set('Authorization', `Bearer ${token}`);
    return res.body.data.attributes;
  }

  async function record(org: string, from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i++) await h.audit.record(groupCreated(org, `g${i}`));
  }

  it('delivers every event once, in order, as GET events-stream renders it, signed', async () => {
    const r = await TestReceiver.start({ secret: SECRET });
    try {
      await record('inorder', 1, 10);
      await create('inorder', { type: 'webhook', url: `${r.url}/hook`, secret: SECRET });
      // Recorded while delivery runs: the cursor picks them up.
      await Promise.all(upTo(15).map((i) => h.audit.record(groupCreated('inorder', `late${i}`))));
      await waitFor('25 events delivered', () => r.acked().length >= 25);
      expect(r.acked()).toEqual(upTo(25));
      let next = 1;
      for (const got of r.received) {
        expect(got.signatureOk).toBe(true);
        expect(got.path).toBe('/hook');
        expect(got.headers['content-type']).toBe('application/x-ndjson');
        expect(got.headers['auditkit-seq-range']).toBe(`${next}-${next + got.seqs.length - 1}`);
        expect(got.seqs.length).toBeLessThanOrEqual(7);
        next += got.seqs.length;
      }
      const stream = await request(h.server)
        .get('/admin/v1/orgs/inorder/events-stream?limit=100')
        .set('Authorization', `Bearer ${token}`);
      const delivered = r.received.flatMap((x) =>
        x.body
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
      expect(delivered).toEqual(stream.body.data);
      // The last chain hash of each batch is the stored hash of its last event.
      const ds = await openDatabase(db);
      try {
        const rows: { seq: number | string; hash: string }[] = await ds.query(
          "SELECT seq, hash FROM auditkit_events WHERE org_id = 'inorder'",
        );
        const hashes = new Map(rows.map((x) => [Number(x.seq), x.hash]));
        for (const got of r.received) {
          expect(got.headers['auditkit-last-hash']).toBe(hashes.get(got.seqs[got.seqs.length - 1]));
        }
      } finally {
        await ds.destroy();
      }
    } finally {
      await r.stop();
    }
  });

  it('a receiver down then up gets every event, in order, none twice', async () => {
    const r = await TestReceiver.start({ secret: SECRET });
    const id = await create('downup', { type: 'webhook', url: `${r.url}/hook`, secret: SECRET });
    await record('downup', 1, 5);
    await waitFor('the first events', () => r.acked().length >= 5);
    await r.stop();
    await record('downup', 6, 20);
    const failing = await waitFor('failures shown', async () => {
      const a = await show('downup', id);
      return a.failures >= 2 ? a : undefined;
    });
    expect(failing).toMatchObject({ state: 'active', deliveredSeq: 5, lagEvents: 20 });
    expect(failing.lastError).toMatch(/ECONNREFUSED/);
    expect(failing.lagSeconds).toBeGreaterThanOrEqual(0);
    await r.listen(r.port);
    try {
      await waitFor('all 25', () => r.acked().length >= 25, { timeoutMs: 20_000 });
      expect(r.acked()).toEqual(upTo(25));
      const after = await waitFor('the cursor at 25', async () => {
        const a = await show('downup', id);
        return a.deliveredSeq === 25 ? a : undefined;
      });
      expect(after).toMatchObject({ failures: 0, lagEvents: 0, state: 'active' });
      expect(after.lastDeliveredAt).not.toBeNull();
    } finally {
      await r.stop();
    }
  });

  it('a slow receiver gets everything in order; a batch it answers too late comes again', async () => {
    const r = await TestReceiver.start({ secret: SECRET });
    try {
      // Within the 1 s timeout, then past it once: that batch's acknowledgement is lost.
      r.behaviour = { kind: 'status', status: 200, delayMs: 150 };
      r.next(
        { kind: 'status', status: 200, delayMs: 150 },
        { kind: 'status', status: 200, delayMs: 1500 },
      );
      await record('slow', 1, 30);
      await create('slow', { type: 'webhook', url: `${r.url}/hook`, secret: SECRET });
      await waitFor('all 30', () => distinct(r.arrived()).length >= 30 && r.acked().includes(30), {
        timeoutMs: 20_000,
      });
      expect(distinct(r.arrived())).toEqual(upTo(30));
      // Only the second batch (seq 8 to 14) came twice: the one whose answer was late.
      const repeated = r.arrived().filter((s, i, all) => all.indexOf(s) !== i);
      expect(repeated).toEqual(upTo(14).slice(7));
      // Each batch starts right after the one before, or repeats it.
      let high = 0;
      for (const got of r.received) {
        expect(got.seqs[0] === high + 1 || got.seqs[0] <= high).toBe(true);
        high = Math.max(high, got.seqs[got.seqs.length - 1]);
      }
    } finally {
      await r.stop();
    }
  });

  it('pauses a destination that keeps failing, shows why, and resumes where it stopped', async () => {
    const r = await TestReceiver.start({ secret: SECRET });
    try {
      r.behaviour = { kind: 'status', status: 401, body: 'bad signature' };
      const id = await create('paused', { type: 'webhook', url: `${r.url}/hook`, secret: SECRET });
      await record('paused', 1, 3);
      const paused = await waitFor('paused', async () => {
        const a = await show('paused', id);
        return a.state === 'paused' ? a : undefined;
      });
      expect(paused).toMatchObject({ pausedReason: 'failures', failures: 3, deliveredSeq: 0 });
      expect(paused.lastError).toBe('The webhook answered HTTP 401: bad signature (permanent)');
      const tries = r.received.length;
      await record('paused', 4, 4);
      r.behaviour = { kind: 'status', status: 200 };
      // Paused: nothing more is tried until an admin resumes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(r.received.length).toBe(tries);
      await request(h.server)
        .post(`/admin/v1/orgs/paused/destinations/${id}/resume`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      await waitFor('all 7', () => r.acked().length >= 7);
      expect(r.acked()).toEqual(upTo(7));
      // The receiver has answered; the cursor moves once the dispatcher has read that answer.
      await waitFor('the cursor at 7', async () => (await show('paused', id)).deliveredSeq === 7);
      expect(await show('paused', id)).toMatchObject({
        state: 'active',
        failures: 0,
        deliveredSeq: 7,
      });
    } finally {
      await r.stop();
    }
  });

  it('Splunk HEC over HTTPS with its own CA: /services/collector/event, the token, every event in order', async () => {
    const tls = selfSignedCert();
    const r = await TestReceiver.start({ tls, hec: true });
    try {
      r.next({
        kind: 'status',
        status: 503,
        body: JSON.stringify({ text: 'Server is busy', code: 9 }),
      });
      await record('hec', 1, 12);
      const id = await create('hec', {
        type: 'splunk_hec',
        url: r.url,
        token: HEC_TOKEN,
        index: 'audit',
        ca: tls.cert,
      });
      await waitFor('12 events in Splunk', () => r.acked().length >= 12);
      expect(r.acked()).toEqual(upTo(12));
      for (const got of r.received) {
        expect(got.path).toBe('/services/collector/event');
        expect(got.headers.authorization).toBe(`Splunk ${HEC_TOKEN}`);
      }
      const first = JSON.parse(r.received[1].body.split('\n')[0]);
      expect(first).toMatchObject({
        index: 'audit',
        source: 'auditkit',
        sourcetype: 'auditkit:event',
        fields: {
          auditkit_org: 'hec',
          auditkit_seq: 1,
          auditkit_batch_first_seq: 1,
          auditkit_batch_last_seq: 7,
        },
      });
      expect(first.fields.auditkit_batch_last_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(first.time).toBeCloseTo(Date.parse(first.event.attributes.time) / 1000, 3);
      expect((await show('hec', id)).deliveredSeq).toBe(12);
      // Without the CA the certificate is not trusted: a retried failure, never a delivery.
      const untrusted = await create('hec', {
        type: 'splunk_hec',
        url: r.url,
        token: HEC_TOKEN,
        start: 'now',
      });
      await record('hec', 13, 1);
      const failing = await waitFor('a TLS failure', async () => {
        const a = await show('hec', untrusted);
        return a.failures > 0 ? a : undefined;
      });
      expect(failing.lastError).toMatch(/self[- ]signed|certificate/i);
      expect(failing.deliveredSeq).toBe(12);
    } finally {
      await r.stop();
    }
  });

  it('never skips events that were removed before delivery: it pauses and says so', async () => {
    const r = await TestReceiver.start({ secret: SECRET });
    try {
      const id = await create('purged', { type: 'webhook', url: `${r.url}/hook`, secret: SECRET });
      await record('purged', 1, 3);
      await waitFor('3 delivered', () => r.acked().length >= 3);
      await request(h.server)
        .post(`/admin/v1/orgs/purged/destinations/${id}/pause`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      await record('purged', 4, 6);
      // As a retention purge would while the destination was paused: seq 4 to 6 are gone.
      const ds = await openDatabase(db);
      try {
        await ds.query("DELETE FROM auditkit_events WHERE org_id = 'purged' AND seq <= 6");
      } finally {
        await ds.destroy();
      }
      await request(h.server)
        .post(`/admin/v1/orgs/purged/destinations/${id}/resume`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      const paused = await waitFor('paused again', async () => {
        const a = await show('purged', id);
        return a.state === 'paused' && a.lastError ? a : undefined;
      });
      expect(paused).toMatchObject({ pausedReason: 'failures', deliveredSeq: 3 });
      expect(paused.lastError).toMatch(/events after seq 3 were removed by retention/);
      expect(r.acked()).toEqual(upTo(3));
    } finally {
      await r.stop();
    }
  });
});
