import { DataSource } from 'typeorm';
import {
  AuditEvent,
  AuditWriteError,
  StandaloneAuditLog,
  auditDataSourceOptions,
  createAuditLog,
  verifyEventChain,
} from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';

// The database goes back in time under a running instance: a restore from backup, a failover to
// a lagging replica, an operator deleting an org's rows. The instance still expects the org to be
// where it left it; it must notice, re-read the truth and go on from there, never writing on its
// stale expectation and never leaving the org unable to record.

// The module's own pool (MySQL: multi-statement packets, the one-trip write) and a host's
// DataSource sending statement by statement take different write paths; both must recover.
const SETUPS = DATABASES.flatMap((kind) =>
  (['own pool', 'host DataSource'] as const).map((pool) => [kind, pool] as const),
);

describe.each(SETUPS)('an org whose stored state goes back in time (%s, %s)', (kind, pool) => {
  let db: TestDatabase;
  let reader: DataSource;
  let host: DataSource | undefined;
  let log: StandaloneAuditLog;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    if (pool === 'own pool') {
      log = await createAuditLog({ databaseUrl: db.url });
    } else {
      const options = auditDataSourceOptions(db.url);
      host = new DataSource(
        options.type === 'mysql' ? { ...options, multipleStatements: false } : options,
      );
      await host.initialize();
      log = await createAuditLog({ dataSource: host });
    }
    reader = new DataSource(auditDataSourceOptions(db.url));
    await reader.initialize();
  });

  afterAll(async () => {
    await log?.close();
    await host?.destroy();
    await reader?.destroy();
    await db?.drop();
  });

  const seqs = async (orgId: string): Promise<number[]> =>
    (
      await reader.query('SELECT seq FROM auditkit_events WHERE org_id = ? ORDER BY seq', [orgId])
    ).map((r: { seq: number | string }) => Number(r.seq));

  /** Five events, one after another, so the instance has the org's state in its caches. */
  async function recordFive(orgId: string): Promise<void> {
    for (let i = 1; i <= 5; i++) await log.service.record(groupCreated(orgId, `before-${i}`));
    expect(await seqs(orgId)).toEqual([1, 2, 3, 4, 5]);
  }

  /**
   * Sends `n` events at once, as clients that retry once on failure; resolves with how many
   * failed their first try, and fails if any retry fails too.
   */
  async function burst(orgId: string, n: number, prefix: string): Promise<number> {
    let firstFailures = 0;
    const stored: AuditEvent[] = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const input = groupCreated(orgId, `${prefix}-${i}`);
        try {
          return await log.service.record(input);
        } catch (err) {
          if (!(err instanceof AuditWriteError)) throw err;
          firstFailures += 1;
          return log.service.record(input);
        }
      }),
    );
    expect(stored).toHaveLength(n);
    return firstFailures;
  }

  /** seq first..last without a gap, the org's state at last, and a chain that verifies. */
  async function expectHealthy(orgId: string, first: number, last: number): Promise<void> {
    const expected = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    expect(await seqs(orgId)).toEqual(expected);
    const [state] = await reader.query('SELECT last_seq FROM auditkit_org_state WHERE org_id = ?', [
      orgId,
    ]);
    expect(Number(state.last_seq)).toBe(last);
    expect(await verifyEventChain(reader, orgId)).toMatchObject({
      ok: true,
      checked: expected.length,
    });
    // And the org keeps recording afterwards, on the first try.
    const next = await log.service.record(groupCreated(orgId, 'after'));
    expect(next.seq).toBe(last + 1);
  }

  it('goes on from seq 1 when every row of the org was deleted', async () => {
    const orgId = 'rewind-deleted';
    await recordFive(orgId);
    for (const table of ['auditkit_event_terms', 'auditkit_events', 'auditkit_org_state'])
      await reader.query(`DELETE FROM ${table} WHERE org_id = ?`, [orgId]);

    await burst(orgId, 40, 'burst');
    await expectHealthy(orgId, 1, 40);
  });

  it('goes on after the last stored event when the org state was set back to an earlier seq', async () => {
    const orgId = 'rewind-state';
    await recordFive(orgId);
    const [second] = await reader.query(
      'SELECT hash FROM auditkit_events WHERE org_id = ? AND seq = 2',
      [orgId],
    );
    await reader.query(
      'UPDATE auditkit_org_state SET last_seq = 2, last_hash = ? WHERE org_id = ?',
      [second.hash, orgId],
    );

    await burst(orgId, 40, 'burst');
    await expectHealthy(orgId, 1, 45);
  });

  it('goes on after the last stored event when only the org state row was deleted', async () => {
    const orgId = 'rewind-state-row';
    await recordFive(orgId);
    await reader.query('DELETE FROM auditkit_org_state WHERE org_id = ?', [orgId]);

    await burst(orgId, 40, 'burst');
    await expectHealthy(orgId, 1, 45);
  });

  it('recovers every org of a batch when several are set back at once', async () => {
    const orgs = ['rewind-many-1', 'rewind-many-2', 'rewind-many-3'];
    for (const orgId of orgs) await recordFive(orgId);
    await reader.query('DELETE FROM auditkit_org_state WHERE org_id = ?', [orgs[0]]);
    await reader.query('UPDATE auditkit_org_state SET last_seq = 1 WHERE org_id = ?', [orgs[1]]);

    await Promise.all(orgs.map((orgId) => burst(orgId, 30, 'burst')));
    for (const orgId of orgs) await expectHealthy(orgId, 1, 35);
  });

  // Only a host's DataSource has transactions of the host's own to record in.
  if (pool === 'own pool') return;

  it('records inside a host transaction on an org whose state row was set back', async () => {
    const orgId = 'rewind-transaction';
    await recordFive(orgId);
    await reader.query('UPDATE auditkit_org_state SET last_seq = 3 WHERE org_id = ?', [orgId]);
    const event = await host!.transaction((manager) =>
      log.service.record(groupCreated(orgId, 'in-transaction'), { manager }),
    );
    expect(event.seq).toBe(6);
    await expectHealthy(orgId, 1, 6);
  });
});
