import { verifyEventChain } from '@auditkit/nestjs';
import { IntegrityFixture, startIntegrityFixture } from './support/integrity-fixture';

// Large orgs on MariaDB are verified by worker threads, each on its own connection. Forced on
// here with small pages, they must find exactly what the calling thread finds.

describe('verification in worker threads (MariaDB)', () => {
  let f: IntegrityFixture;
  const inWorkers = { workers: 2, workerMinEvents: 1, pageSize: 7 };
  const onThread = { workers: 0, pageSize: 7 };

  beforeAll(async () => {
    f = await startIntegrityFixture('mariadb');
    await f.seed('big', 60);
    await f.log.integrity.checkpoint('big');
  });
  afterAll(async () => {
    await f?.close();
  });

  const connections = async () =>
    Number((await f.raw.query("SHOW GLOBAL STATUS LIKE 'Connections'"))[0].Value);

  const both = async () => {
    const before = await connections();
    const a = await verifyEventChain(f.raw, 'big', { tuning: inWorkers });
    // The workers really ran: each opened a connection of its own.
    expect((await connections()) - before).toBeGreaterThanOrEqual(2);
    const b = await verifyEventChain(f.raw, 'big', { tuning: onThread });
    expect(a.report).toEqual(b.report);
    return a;
  };

  it('agrees with the calling thread on an intact chain', async () => {
    expect(await both()).toMatchObject({ ok: true, checked: 60 });
  });

  it('agrees on an edit, a deletion at a page boundary, and a recomputed tail', async () => {
    await f.raw.query(
      "UPDATE auditkit_events SET actor_name = 'Eve' WHERE org_id = 'big' AND seq = 9",
    );
    await f.raw.query("DELETE FROM auditkit_events WHERE org_id = 'big' AND seq = 21");
    await f.raw.query(
      "UPDATE auditkit_events SET action = 'group_deleted' WHERE org_id = 'big' AND seq = 40",
    );
    await f.recomputeFrom('big', 40);
    const r = await both();
    expect(r.ok).toBe(false);
    expect(r.report.problems.map((p) => p.seq)).toEqual([9, 21, 60]);
  });
});
