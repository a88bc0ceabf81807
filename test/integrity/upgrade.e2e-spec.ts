import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  auditDataSourceOptions,
  AuditKitSchema1764000000000,
  createAuditLog,
  StandaloneAuditLog,
} from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { ed25519Pem } from './support/integrity-fixture';

// A database written by the version before format 1: its events keep verifying as format 0, new
// events continue the chain in format 1, and a purge made back then (no checkpoint) is sealed by
// the first checkpoint rather than read as deleted history.

/** A format-0 event row and its hash, computed from docs/integrity.md alone. */
function legacyRow(orgId: string, seq: number, prev: string | null) {
  const t = 1_760_000_000_000 + seq * 1000;
  const values = [
    `01LEGACY${orgId.toUpperCase().padEnd(10, 'X').slice(0, 10)}${String(seq).padStart(8, '0')}`,
    orgId,
    seq,
    t,
    t + 5,
    'group_created',
    'groups',
    'u-1',
    'user',
    'Jane Doe',
    'jane@acme.test',
    JSON.stringify([{ id: `g-${seq}`, type: 'group', name: `old-${seq}` }]),
    null,
    null,
    null,
    '203.0.113.9',
    null,
    'success',
    '{}',
  ];
  const hash = createHash('sha256')
    .update(`${prev ?? ''}\n${JSON.stringify(values)}`)
    .digest('hex');
  return { values, hash };
}

describe.each(DATABASES)('upgrading a populated %s database to format 1', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  let log: StandaloneAuditLog;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    // The old install: only the first migration applied, through the module's own runner table.
    const qr = ds.createQueryRunner();
    await new AuditKitSchema1764000000000().up(qr);
    await qr.release();
    await ds.query(
      kind === 'mariadb'
        ? 'CREATE TABLE auditkit_migrations (name VARCHAR(255) NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)'
        : 'CREATE TABLE auditkit_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    await ds.query('INSERT INTO auditkit_migrations (name, applied_at) VALUES (?, ?)', [
      'AuditKitSchema1764000000000',
      Date.now(),
    ]);
    for (const orgId of ['legacy', 'legacy-purged']) {
      let prev: string | null = null;
      for (let seq = 1; seq <= 6; seq++) {
        const row = legacyRow(orgId, seq, prev);
        await ds.query(
          `INSERT INTO auditkit_events (id, org_id, seq, occurred_at, recorded_at, action, category, actor_id, actor_type, actor_name, actor_email, targets, site_id, site_name, product, ip, user_agent, outcome, metadata, hash) VALUES (${new Array(20).fill('?').join(', ')})`,
          [...row.values, row.hash],
        );
        prev = row.hash;
      }
      await ds.query(
        'INSERT INTO auditkit_org_state (org_id, last_seq, last_hash) VALUES (?, 6, ?)',
        [orgId, prev],
      );
    }
    // The old retention deleted by time, with no checkpoint.
    await ds.query("DELETE FROM auditkit_events WHERE org_id = 'legacy-purged' AND seq <= 2");

    log = await createAuditLog({
      databaseUrl: db.url,
      integrity: { signingKey: ed25519Pem().privateKey, schedule: false },
    });
  });

  afterAll(async () => {
    await log?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('keeps the old events verifying, and continues the chain in format 1', async () => {
    expect(await log.integrity.verify('legacy')).toMatchObject({ ok: true, checked: 6 });
    for (let i = 0; i < 3; i++) await log.service.record(groupCreated('legacy', `new-${i}`));
    const formats = await ds.query(
      "SELECT seq, hash_v, salt FROM auditkit_events WHERE org_id = 'legacy' ORDER BY seq",
    );
    expect(
      formats.map((r: { hash_v: unknown }) => (r.hash_v === null ? 0 : Number(r.hash_v))),
    ).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(formats[6].salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const cp = await log.integrity.checkpoint('legacy', 'upgrade');
    expect(cp).toMatchObject({ seq: 9, kind: 'upgrade', count: 9 });
    expect(await log.integrity.verify('legacy')).toMatchObject({
      ok: true,
      checked: 9,
      verifiedThrough: { seq: 9 },
    });
    // An old event edited after the upgrade is still caught.
    await ds.query(
      "UPDATE auditkit_events SET actor_name = 'Eve' WHERE org_id = 'legacy' AND seq = 2",
    );
    expect((await log.integrity.verify('legacy')).problems[0]).toMatchObject({ seq: 2 });
  });

  it('takes a purge from before checkpoints at its word once, then seals it', async () => {
    const before = await log.integrity.verify('legacy-purged');
    expect(before).toMatchObject({ ok: true, checked: 4, start: { seq: 3, legacy: true } });
    await log.service.record(groupCreated('legacy-purged', 'new'));
    await log.integrity.checkpoint('legacy-purged');
    const purge = await log.integrity.checkpoints.latestPurge('legacy-purged');
    expect(purge).toMatchObject({
      kind: 'purge',
      head: null,
      purge: { throughSeq: 2, policy: 'removed before checkpoints existed' },
    });
    expect(await log.integrity.verify('legacy-purged')).toMatchObject({
      ok: true,
      checked: 5,
      start: { seq: 3 },
    });
    // Sealed: the head can no longer be cut unseen.
    await ds.query("DELETE FROM auditkit_events WHERE org_id = 'legacy-purged' AND seq = 3");
    expect((await log.integrity.verify('legacy-purged')).problems[0]).toEqual({
      seq: 3,
      reason: 'events 3..3 are missing after the purge through seq 2',
    });
  });
});
