import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../../../../test/support/databases';
import { ulid } from '../../common/ulid';
import { AuditEvent } from '../../event/audit-event.interface';
import { verifyEventChain } from '../chain-verifier';
import { auditDataSourceOptions } from '../data-source-options';
import { PreparedEvent } from '../event-row';
import { EVENTS_TABLE, ORG_STATE_TABLE, ROLLUP_TABLE, TERMS_TABLE } from '../event-table';
import { runAuditLogMigrations } from '../migration-runner';
import { EventWriter } from './event-writer';
import { MysqlLockingEventWriter } from './mysql-locking-event-writer';
import { MysqlOneTripEventWriter } from './mysql-one-trip-event-writer';
import { OrgStateCache } from './org-state-cache';
import { SqliteEventWriter } from './sqlite-event-writer';
import { wasFoundStored } from './write-outcome';

// The contract every write path keeps (EventWriter): the same cases against each, on a real
// SQLite file and the real MariaDB. A second writer on the same database stands for another
// process.

interface Setup {
  database: 'sqlite' | 'mariadb';
  /** A writer on `ds`; `lockingWrites` counts its batches that took the locking write. */
  writer(ds: DataSource): { writer: EventWriter; lockingWrites?: () => number };
  multipleStatements: boolean;
}

function mysqlWriters(ds: DataSource, oneTrip: boolean) {
  const cache = new OrgStateCache();
  const locking = new MysqlLockingEventWriter(ds, true, cache, hasMulti(ds));
  const spy = jest.spyOn(locking, 'writeLocked');
  if (!oneTrip) return { writer: locking };
  return {
    writer: new MysqlOneTripEventWriter(ds, true, cache, locking),
    lockingWrites: () => spy.mock.calls.length,
  };
}

const hasMulti = (ds: DataSource) =>
  (ds.options as { multipleStatements?: boolean }).multipleStatements === true;

const SETUPS: [string, Setup][] = [
  [
    'SqliteEventWriter',
    {
      database: 'sqlite',
      multipleStatements: false,
      writer: (ds) => ({ writer: new SqliteEventWriter(ds, true) }),
    },
  ],
  [
    'MysqlLockingEventWriter, statement by statement',
    { database: 'mariadb', multipleStatements: false, writer: (ds) => mysqlWriters(ds, false) },
  ],
  [
    'MysqlLockingEventWriter, two trips',
    { database: 'mariadb', multipleStatements: true, writer: (ds) => mysqlWriters(ds, false) },
  ],
  [
    'MysqlOneTripEventWriter',
    { database: 'mariadb', multipleStatements: true, writer: (ds) => mysqlWriters(ds, true) },
  ],
];

let n = 0;
function event(orgId: string, label = `e${++n}`): PreparedEvent {
  const now = Date.now();
  return {
    id: ulid(now),
    recordedAt: now,
    orgId,
    action: 'group_created',
    category: 'groups',
    occurredAt: now,
    actor: { id: 'u-1', type: 'user', name: `Admin ${label}`, email: 'admin@acme.test' },
    targets: [{ id: `g-${label}`, type: 'group', name: `group ${label}` }],
    site: { id: 's-1', name: 'acme.test' },
    product: 'jira',
    location: { ip: '203.0.113.7' },
    outcome: 'success',
    metadata: { label },
  };
}
const events = (orgId: string, count: number) => Array.from({ length: count }, () => event(orgId));

describe.each(SETUPS)('EventWriter contract: %s', (_name, setup) => {
  let db: TestDatabase;
  let ds: DataSource;
  let other: DataSource;
  let writer: EventWriter;
  let lockingWrites: (() => number) | undefined;
  let org = 0;
  const newOrg = () => `org-${++org}`;

  async function open(): Promise<DataSource> {
    const options = auditDataSourceOptions(db.url);
    const source = new DataSource(
      options.type === 'mysql'
        ? { ...options, multipleStatements: setup.multipleStatements }
        : options,
    );
    return source.initialize();
  }

  beforeAll(async () => {
    db = await createTestDatabase(setup.database);
    ds = await open();
    await runAuditLogMigrations(ds);
    other = await open();
    ({ writer, lockingWrites } = setup.writer(ds));
  });

  afterAll(async () => {
    await other?.destroy();
    await ds?.destroy();
    await db?.drop();
  });

  const seqs = async (orgId: string): Promise<number[]> =>
    (await ds.query(`SELECT seq FROM ${EVENTS_TABLE} WHERE org_id = ? ORDER BY seq`, [orgId])).map(
      (r: { seq: number | string }) => Number(r.seq),
    );

  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => from + i);

  async function expectChain(orgId: string, count: number): Promise<void> {
    expect(await seqs(orgId)).toEqual(range(1, count));
    const verified = await verifyEventChain(ds, orgId, { tuning: { workers: 0 } });
    expect(verified).toMatchObject({ ok: true, checked: count });
    const [state] = await ds.query(`SELECT last_seq FROM ${ORG_STATE_TABLE} WHERE org_id = ?`, [
      orgId,
    ]);
    expect(Number(state.last_seq)).toBe(count);
  }

  /** The activity rollup counts exactly the org's stored events, by hour and category. */
  async function expectRollup(orgId: string): Promise<void> {
    const hour = setup.database === 'sqlite' ? 'occurred_at / 3600000' : 'occurred_at DIV 3600000';
    const counted = await ds.query(
      `SELECT hour_start / 3600000 AS h, category, events AS n FROM ${ROLLUP_TABLE} WHERE org_id = ? ORDER BY 1, 2`,
      [orgId],
    );
    const stored = await ds.query(
      `SELECT ${hour} AS h, category, COUNT(*) AS n FROM ${EVENTS_TABLE} WHERE org_id = ? GROUP BY 1, 2 ORDER BY 1, 2`,
      [orgId],
    );
    const plain = (rows: { h: unknown; category: string; n: unknown }[]) =>
      rows.map((r) => [Math.floor(Number(r.h)), r.category, Number(r.n)]);
    expect(plain(counted)).toEqual(plain(stored));
    expect(stored.length).toBeGreaterThan(0);
  }

  it('gives a batch gap-free seqs and a verifiable hash chain, with its term rows', async () => {
    const orgId = newOrg();
    const first = await writer.write(events(orgId, 3));
    const second = await writer.write(events(orgId, 2));
    expect([...first, ...second].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    await expectChain(orgId, 5);
    const [{ terms }] = await ds.query(
      `SELECT COUNT(*) AS terms FROM ${TERMS_TABLE} WHERE org_id = ?`,
      [orgId],
    );
    // Actor name and e-mail, the group's name, the site's name.
    expect(Number(terms)).toBe(5 * 4);
    // The one-trip writer writes an org it knows in one packet, without the locking read.
    if (lockingWrites) {
      const before = lockingWrites();
      await writer.write(events(orgId, 2));
      expect(lockingWrites()).toBe(before);
      await expectChain(orgId, 7);
    }
    await expectRollup(orgId);
  });

  it('keeps one org gap-free under concurrent batches, from two writers', async () => {
    const orgId = newOrg();
    await writer.write(events(orgId, 1));
    const second = setup.writer(other).writer;
    const written = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? second : writer).write(events(orgId, 4))),
    );
    const stored = written.flat().map((e) => e.seq);
    expect(new Set(stored).size).toBe(48);
    await expectChain(orgId, 49);
    await expectRollup(orgId);
  });

  it('replays an id stored already instead of writing it twice', async () => {
    const orgId = newOrg();
    const original = event(orgId);
    const [stored] = await writer.write([original]);
    const fresh = event(orgId);
    const retried = await writer.write([original, fresh], { mayBeStored: true });
    expect(retried.map((e) => [e.id, e.seq, wasFoundStored(e)])).toEqual([
      [original.id, stored.seq, true],
      [fresh.id, 2, false],
    ]);
    // Without the flag too: the id collides, and the repair finds it stored.
    const again = await writer.write([original]);
    expect(again.map((e) => [e.id, e.seq, wasFoundStored(e)])).toEqual([[original.id, 1, true]]);
    await expectChain(orgId, 2);
    await expectRollup(orgId);
  });

  it("writes inside a host's transaction: stored on commit, gone on rollback", async () => {
    const orgId = newOrg();
    await writer.write(events(orgId, 2));
    const committed = await ds.transaction((m) => writer.writeWith(m, events(orgId, 2)));
    expect(committed.map((e) => e.seq)).toEqual([3, 4]);
    await expect(
      ds.transaction(async (m) => {
        const rolledBack = await writer.writeWith(m, events(orgId, 3));
        expect(rolledBack.map((e) => e.seq)).toEqual([5, 6, 7]);
        throw new Error('the host rolls back');
      }),
    ).rejects.toThrow('the host rolls back');
    await expectChain(orgId, 4);
    // What the rollback undid is not built on.
    const next = await writer.write(events(orgId, 1));
    expect(next.map((e) => e.seq)).toEqual([5]);
    await expectChain(orgId, 5);
    await expectRollup(orgId);
  });

  it('re-derives an org whose stored state went back in time', async () => {
    // A restore: the last events and the state row set back together.
    const restored = newOrg();
    await writer.write(events(restored, 3));
    await writer.write(events(restored, 2));
    await ds.query(`DELETE FROM ${TERMS_TABLE} WHERE org_id = ?`, [restored]);
    await ds.query(`DELETE FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq > 3`, [restored]);
    const [third] = await ds.query(
      `SELECT hash FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq = 3`,
      [restored],
    );
    await ds.query(`UPDATE ${ORG_STATE_TABLE} SET last_seq = 3, last_hash = ? WHERE org_id = ?`, [
      third.hash,
      restored,
    ]);
    expect((await writer.write(events(restored, 2))).map((e) => e.seq)).toEqual([4, 5]);
    await expectChain(restored, 5);

    // The state row deleted, the events kept.
    const lost = newOrg();
    await writer.write(events(lost, 3));
    await ds.query(`DELETE FROM ${ORG_STATE_TABLE} WHERE org_id = ?`, [lost]);
    expect((await writer.write(events(lost, 2))).map((e) => e.seq)).toEqual([4, 5]);
    await expectChain(lost, 5);
  });

  it('writes several orgs in one batch, each on its own sequence', async () => {
    const [a, b, c] = [newOrg(), newOrg(), newOrg()];
    await writer.write(events(b, 2));
    const batch = [event(a), event(b), event(c), event(a), event(b), event(a)];
    const written: AuditEvent[] = await writer.write(batch);
    expect(written.map((e) => [e.orgId, e.seq])).toEqual([
      [a, 1],
      [b, 3],
      [c, 1],
      [a, 2],
      [b, 4],
      [a, 3],
    ]);
    await expectChain(a, 3);
    await expectChain(b, 4);
    await expectChain(c, 1);
    for (const org of [a, b, c]) await expectRollup(org);
  });
});
