import { TestingModule, Test } from '@nestjs/testing';
import { DataSource, EntityManager } from 'typeorm';
import {
  AuditLogModule,
  AuditService,
  AuditValidationError,
  auditDataSourceOptions,
} from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import { groupCreated } from '../support/events';

class Rollback extends Error {}

describe.each(DATABASES)('AuditService.record(input, { manager }) on %s', (kind) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let moduleRef: TestingModule;
  let audit: AuditService;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // The host's own DataSource, as a host with TypeORM hands it to the module.
    dataSource = new DataSource(auditDataSourceOptions(db.url));
    await dataSource.initialize();
    await dataSource.query(
      'CREATE TABLE host_groups (id VARCHAR(64) NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL)',
    );
    moduleRef = await Test.createTestingModule({
      imports: [AuditLogModule.forRoot({ dataSource })],
    }).compile();
    await moduleRef.init();
    audit = moduleRef.get(AuditService);
  });

  afterAll(async () => {
    await moduleRef?.close();
    // The module leaves a host's DataSource open: closing it is the host's job.
    expect(dataSource?.isInitialized).toBe(true);
    await dataSource?.destroy();
    await db?.drop();
  });

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await dataSource.query(sql, params))[0].n);
  const events = (orgId: string) =>
    dataSource.query('SELECT id, seq, targets FROM auditkit_events WHERE org_id = ? ORDER BY seq', [
      orgId,
    ]);
  const lastSeq = async (orgId: string) =>
    Number(
      (
        await dataSource.query('SELECT last_seq FROM auditkit_org_state WHERE org_id = ?', [orgId])
      )[0]?.last_seq ?? 0,
    );

  /** One host transaction: the host's own row and its audit event, then commit or rollback. */
  async function hostTransaction(orgId: string, groupName: string, commit: boolean) {
    return dataSource
      .transaction(async (manager: EntityManager) => {
        await manager.query('INSERT INTO host_groups (id, name) VALUES (?, ?)', [
          `${orgId}/${groupName}`,
          groupName,
        ]);
        const event = await audit.record(groupCreated(orgId, groupName), { manager });
        if (!commit) throw new Rollback();
        return event;
      })
      .catch((err) => {
        if (err instanceof Rollback) return null;
        throw err;
      });
  }

  it('leaves no event, no term and no used seq when the transaction rolls back', async () => {
    const recorded = await hostTransaction('org-rb', 'rolled-back', false);
    expect(recorded).toBeNull();
    expect(await count(`SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = 'org-rb'`)).toBe(
      0,
    );
    expect(
      await count(`SELECT COUNT(*) AS n FROM auditkit_event_terms WHERE org_id = 'org-rb'`),
    ).toBe(0);
    expect(await count(`SELECT COUNT(*) AS n FROM host_groups WHERE id LIKE 'org-rb/%'`)).toBe(0);
    expect(await lastSeq('org-rb')).toBe(0);
  });

  it('stores exactly one event, with its terms, when the transaction commits', async () => {
    const recorded = await hostTransaction('org-c', 'committed', true);
    expect(recorded).toMatchObject({
      orgId: 'org-c',
      seq: 1,
      action: 'group_created',
      category: 'groups',
    });
    const rows = await events('org-c');
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(recorded!.id);
    expect(Number(rows[0].seq)).toBe(1);
    // Actor name, actor e-mail and the group's name.
    expect(
      await count(`SELECT COUNT(*) AS n FROM auditkit_event_terms WHERE event_id = ?`, [
        recorded!.id,
      ]),
    ).toBe(3);
    expect(await count(`SELECT COUNT(*) AS n FROM host_groups WHERE id = 'org-c/committed'`)).toBe(
      1,
    );
    expect(await lastSeq('org-c')).toBe(1);
  });

  it('reuses nothing after a rollback: the next commit takes the next seq', async () => {
    await hostTransaction('org-c', 'second-rolled-back', false);
    const next = await hostTransaction('org-c', 'second', true);
    expect(next!.seq).toBe(2);
    expect((await events('org-c')).map((r: any) => Number(r.seq))).toEqual([1, 2]);
  });

  it('rejects a manager that is not inside a transaction, storing nothing', async () => {
    await expect(
      audit.record(groupCreated('org-nt', 'x'), { manager: dataSource.manager }),
    ).rejects.toThrow(/open transaction/);
    expect(await count(`SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = 'org-nt'`)).toBe(
      0,
    );
  });

  it('throws a validation error inside the transaction before writing anything', async () => {
    const result = dataSource.transaction(async (manager) => {
      await audit.record({ ...groupCreated('org-v', 'x'), action: 'no_such_action' }, { manager });
    });
    await expect(result).rejects.toBeInstanceOf(AuditValidationError);
    await expect(result).rejects.toMatchObject({ field: 'action', code: 'unknown_action' });
    expect(await count(`SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = 'org-v'`)).toBe(0);
  });

  it.each([
    ['commits', true],
    ['rolls back', false],
  ])('numbers a writer event after an open transaction that then %s', async (_name, commit) => {
    const orgId = `org-wait-${commit}`;
    await audit.record(groupCreated(orgId, 'first'));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let txEvent: { seq: number } | undefined;
    const tx = dataSource
      .transaction(async (manager) => {
        txEvent = await audit.record(groupCreated(orgId, 'in-tx'), { manager });
        await released;
        if (!commit) throw new Rollback();
      })
      .catch((err) => {
        if (!(err instanceof Rollback)) throw err;
      });
    await waitFor('the transaction to hold its seq', () => txEvent);
    expect(txEvent!.seq).toBe(2);
    const writerEvent = audit.record(groupCreated(orgId, 'from-writer'));
    if (kind === 'mariadb') {
      // The writer's batch is blocked on the org's row lock held by the open transaction.
      await waitFor('the writer to wait for the row lock', async () => {
        // MariaDB takes that lock while planning a primary-key lookup, before INNODB_TRX lists
        // the waiting transaction; the statement sitting in the process list is the sure sign.
        const [row] = await dataSource.query(
          `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
            WHERE DB = DATABASE() AND COMMAND = 'Query' AND INFO LIKE 'SELECT org_id%FOR UPDATE'`,
        );
        return Number(row.n) === 1;
      });
    } else {
      // SQLite's writer polls while the single connection is inside the host's transaction.
      await new Promise((r) => setTimeout(r, 25));
    }
    release();
    await tx;
    expect((await writerEvent).seq).toBe(commit ? 3 : 2);
    expect(
      (await events(orgId)).map((r: any) => [Number(r.seq), JSON.parse(r.targets)[0].name]),
    ).toEqual(
      commit
        ? [
            [1, 'first'],
            [2, 'in-tx'],
            [3, 'from-writer'],
          ]
        : [
            [1, 'first'],
            [2, 'from-writer'],
          ],
    );
  });

  it('keeps seq gap-free when transactional and writer records mix, rollbacks included', async () => {
    const orgId = 'org-mix';
    // SQLite has one connection, so TypeORM runs one transaction at a time; MariaDB runs several.
    const lanes = kind === 'mariadb' ? 4 : 1;
    const perLane = 6;
    const committed: string[] = [];
    const transactionLanes = Array.from({ length: lanes }, async (_, lane) => {
      for (let i = 0; i < perLane; i++) {
        const name = `tx-${lane}-${i}`;
        const commit = i % 3 !== 1;
        const event = await hostTransaction(orgId, name, commit);
        if (commit) {
          expect(event).not.toBeNull();
          committed.push(name);
        } else expect(event).toBeNull();
      }
    });
    const writerNames: string[] = [];
    const writerLane = (async () => {
      for (let wave = 0; wave < 6; wave++) {
        const names = Array.from({ length: 10 }, (_, i) => `w-${wave}-${i}`);
        writerNames.push(...names);
        await Promise.all(names.map((n) => audit.record(groupCreated(orgId, n))));
      }
    })();
    await Promise.all([...transactionLanes, writerLane]);

    const rows = await events(orgId);
    const expected = committed.length + writerNames.length;
    expect(committed).toHaveLength(lanes * 4);
    expect(rows).toHaveLength(expected);
    expect(rows.map((r: any) => Number(r.seq))).toEqual(rows.map((_: unknown, i: number) => i + 1));
    const stored = rows.map((r: any) => JSON.parse(r.targets)[0].name).sort();
    expect(stored).toEqual([...committed, ...writerNames].sort());
    expect(await lastSeq(orgId)).toBe(expected);
  });
});
