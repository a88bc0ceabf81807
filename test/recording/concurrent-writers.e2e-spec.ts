import { DataSource } from 'typeorm';
import {
  StandaloneAuditLog,
  auditDataSourceOptions,
  createAuditLog,
  verifyEventChain,
} from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';

// Two audit logs on one database stand for two instances of a host app: each has its own pool
// and its own idea of where each org's sequence stands.

describe.each(DATABASES)('several writers on one %s database', (kind) => {
  let db: TestDatabase;
  let reader: DataSource;
  let a: StandaloneAuditLog;
  let b: StandaloneAuditLog;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    a = await createAuditLog({ databaseUrl: db.url });
    b = await createAuditLog({ databaseUrl: db.url, migrationsRun: false });
    reader = new DataSource(auditDataSourceOptions(db.url));
    await reader.initialize();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await reader?.destroy();
    await db?.drop();
  });

  const stored = async (orgId: string): Promise<{ seq: number; name: string }[]> =>
    (
      await reader.query('SELECT seq, targets FROM auditkit_events WHERE org_id = ? ORDER BY seq', [
        orgId,
      ])
    ).map((r: { seq: number | string; targets: string }) => ({
      seq: Number(r.seq),
      name: JSON.parse(r.targets)[0].name as string,
    }));

  const lastSeq = async (orgId: string) =>
    Number(
      (await reader.query('SELECT last_seq FROM auditkit_org_state WHERE org_id = ?', [orgId]))[0]
        .last_seq,
    );

  /** seq 1..n without a gap, the org's state at n, and an unbroken hash chain. */
  async function expectConsistent(orgId: string, count: number) {
    const rows = await stored(orgId);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(rows).toHaveLength(count);
    expect(await lastSeq(orgId)).toBe(count);
    const chain = await verifyEventChain(reader, orgId);
    expect(chain).toMatchObject({ ok: true, checked: count });
  }

  it('takes turns on one org: each event follows the one committed before it', async () => {
    const orgId = 'turns';
    const order = ['a1', 'a2', 'b1', 'a3', 'a4', 'b2', 'b3', 'a5'];
    for (const name of order) {
      const log = name.startsWith('a') ? a : b;
      const event = await log.service.record(groupCreated(orgId, name));
      expect(event.seq).toBe(order.indexOf(name) + 1);
    }
    expect((await stored(orgId)).map((r) => r.name)).toEqual(order);
    await expectConsistent(orgId, order.length);
  });

  it('gives a batch the next seq even when the row it expected to follow is gone', async () => {
    // An instance that wrote an org last expects to continue from its own last seq. If another
    // instance wrote after it and that event was then removed (retention, say), nothing in the
    // events table is in the way: only the org's state row tells the truth.
    const orgId = 'gone';
    await a.service.record(groupCreated(orgId, 'a1'));
    await a.service.record(groupCreated(orgId, 'a2'));
    await b.service.record(groupCreated(orgId, 'b1'));
    await reader.query('DELETE FROM auditkit_event_terms WHERE org_id = ?', [orgId]);
    await reader.query('DELETE FROM auditkit_events WHERE org_id = ? AND seq = 3', [orgId]);

    const next = await a.service.record(groupCreated(orgId, 'a3'));
    expect(next.seq).toBe(4);
    expect(await lastSeq(orgId)).toBe(4);
    expect((await stored(orgId)).map((r) => [r.seq, r.name])).toEqual([
      [1, 'a1'],
      [2, 'a2'],
      [4, 'a3'],
    ]);
  });

  it('keeps every org gap-free with both writers under load on the same orgs', async () => {
    const orgs = ['load-1', 'load-2', 'load-3'];
    const perWriter = 600;
    const callers = 48;
    const run = async (log: StandaloneAuditLog, prefix: string) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (next < perWriter) {
            const i = next++;
            await log.service.record(groupCreated(orgs[i % orgs.length], `${prefix}-${i}`));
          }
        }),
      );
    };
    await Promise.all([run(a, 'a'), run(b, 'b')]);

    for (const orgId of orgs) {
      await expectConsistent(orgId, (2 * perWriter) / orgs.length);
      const names = (await stored(orgId)).map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('recovers when the state it expected was moved on while a batch of its own was queued', async () => {
    // Two orgs, of which only one is moved on under a: its first batch matches one org and not
    // the other, and stops; nothing of that half-done transaction may survive it.
    const [moved, still] = ['queued-moved', 'queued-still'];
    for (const orgId of [moved, still]) {
      await a.service.record(groupCreated(orgId, 'a-first'));
      await a.service.record(groupCreated(orgId, 'a-second'));
    }
    await b.service.record(groupCreated(moved, 'b-between'));
    // Many at once: a's first batch finds the state moved, and the batch planned behind it does too.
    const names = Array.from({ length: 150 }, (_, i) => `a-burst-${i}`);
    const events = await Promise.all(
      names.map((n, i) => a.service.record(groupCreated(i % 2 ? moved : still, n))),
    );
    expect(events.map((e) => e.orgId)).toEqual(names.map((_, i) => (i % 2 ? moved : still)));
    await expectConsistent(moved, 3 + names.length / 2);
    await expectConsistent(still, 2 + names.length / 2);
  });

  it('continues an org by its seq alone when tamper evidence is off (no hash to match)', async () => {
    const plain = await createAuditLog({
      databaseUrl: db.url,
      migrationsRun: false,
      tamperEvidence: false,
    });
    try {
      const orgId = 'no-chain';
      for (const n of ['p1', 'p2']) await plain.service.record(groupCreated(orgId, n));
      const burst = await Promise.all(
        Array.from({ length: 40 }, (_, i) => plain.service.record(groupCreated(orgId, `p-${i}`))),
      );
      expect(burst.map((e) => e.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 3),
      );
      const rows = await reader.query('SELECT hash FROM auditkit_events WHERE org_id = ?', [orgId]);
      expect(rows.every((r: { hash: string | null }) => r.hash === null)).toBe(true);
      expect(await lastSeq(orgId)).toBe(42);
    } finally {
      await plain.close();
    }
  });
});
