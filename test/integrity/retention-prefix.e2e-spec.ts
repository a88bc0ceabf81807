import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  auditDataSourceOptions,
  AuditLogModule,
  AuditService,
  FileCheckpointWitness,
  IntegrityService,
} from '@auditkit/nestjs';
import { AuditRetentionModule, RetentionService } from '@auditkit/nestjs/retention';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { ed25519Pem } from './support/integrity-fixture';

const DAY = 24 * 3600 * 1000;

// Retention removes a signed prefix of each org's chain: it never raises a false alarm, and a
// deletion that no purge checkpoint accounts for is still caught.

describe.each(DATABASES)('retention as a signed prefix on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let audit: AuditService;
  let integrity: IntegrityService;
  let retention: RetentionService;
  let raw: DataSource;
  let witnessDir: string;
  const now = Date.now();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    witnessDir = mkdtempSync(join(tmpdir(), 'auditkit-witness-'));
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({
          isGlobal: true,
          databaseUrl: db.url,
          integrity: {
            signingKey: ed25519Pem().privateKey,
            schedule: false,
            witnesses: [new FileCheckpointWitness(witnessDir)],
          },
        }),
        AuditRetentionModule.forRoot({ schedule: false, batchSize: 3 }),
      ],
    }).compile();
    app = await moduleRef.init();
    audit = app.get(AuditService);
    integrity = app.get(IntegrityService);
    retention = app.get(RetentionService);
    raw = await new DataSource(auditDataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await app?.close();
    await raw?.destroy();
    await db?.drop();
    if (witnessDir) rmSync(witnessDir, { recursive: true, force: true });
  });

  const record = (orgId: string, name: string, time: number) =>
    audit.record({ ...groupCreated(orgId, name), time });
  const count = async (orgId: string) =>
    Number(
      (await raw.query('SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = ?', [orgId]))[0].n,
    );
  const terms = async (orgId: string) =>
    Number(
      (
        await raw.query('SELECT COUNT(*) AS n FROM auditkit_event_terms WHERE org_id = ?', [orgId])
      )[0].n,
    );

  it('removes the old prefix, leaves a signed, witnessed purge checkpoint, and verifies from it', async () => {
    const orgId = 'aged';
    for (let i = 0; i < 7; i++) await record(orgId, `old${i}`, now - (200 - i) * DAY);
    for (let i = 0; i < 3; i++) await record(orgId, `new${i}`, now - i * 1000);
    const termsBefore = await terms(orgId);

    const dry = await retention.purge({ now: new Date(now), dryRun: true });
    expect(dry.find((r) => r.orgId === orgId)).toMatchObject({ events: 7, throughSeq: 7 });
    expect(await count(orgId)).toBe(10);

    const [result] = (await retention.purge({ now: new Date(now) })).filter(
      (r) => r.orgId === orgId,
    );
    expect(result).toMatchObject({ events: 7, throughSeq: 7 });
    // Each event has its actor's name and e-mail and its group's name as exact terms.
    expect(result.terms).toBe(termsBefore - (await terms(orgId)));
    expect(await count(orgId)).toBe(3);

    const purge = (await integrity.checkpoints.latestPurge(orgId))!;
    expect(purge).toMatchObject({
      kind: 'purge',
      seq: 7,
      purge: { throughSeq: 7, policy: 'retention 180 days' },
    });
    expect(purge.signature).not.toBe('');
    const witnessed = await new FileCheckpointWitness(witnessDir).read(orgId);
    expect(witnessed.map((c) => c.kind)).toEqual(['purge']);

    const report = await integrity.verify(orgId);
    expect(report).toMatchObject({ ok: true, checked: 3, headSeq: 10, start: { seq: 8 } });
    expect(report.start.purge).toMatchObject({ seq: 7 });
    // A second purge finds nothing more to do.
    expect(
      (await retention.purge({ now: new Date(now) })).find((r) => r.orgId === orgId),
    ).toBeUndefined();
  });

  it('keeps an imported old event until everything before it is due: no gap, no false alarm', async () => {
    const orgId = 'imported';
    await record(orgId, 'today-1', now - 5000);
    await record(orgId, 'imported', now - 181 * DAY);
    await record(orgId, 'today-2', now - 1000);
    expect(
      (await retention.purge({ now: new Date(now) })).find((r) => r.orgId === orgId),
    ).toBeUndefined();
    expect(await count(orgId)).toBe(3);
    expect(await integrity.verify(orgId)).toMatchObject({ ok: true, checked: 3, problems: [] });

    // Once the events around it age out too, the three go together.
    const later = new Date(now + 181 * DAY);
    const [r] = (await retention.purge({ now: later })).filter((x) => x.orgId === orgId);
    expect(r).toMatchObject({ events: 3, throughSeq: 3 });
    expect(await integrity.verify(orgId)).toMatchObject({
      ok: true,
      checked: 0,
      start: { seq: 4 },
    });
  });

  it('still catches events deleted after the purged prefix', async () => {
    const orgId = 'cut-after-purge';
    for (let i = 0; i < 4; i++) await record(orgId, `old${i}`, now - (300 - i) * DAY);
    for (let i = 0; i < 4; i++) await record(orgId, `new${i}`, now - i * 1000);
    await retention.purge({ now: new Date(now) });
    await raw.query('DELETE FROM auditkit_events WHERE org_id = ? AND seq IN (5, 6)', [orgId]);
    expect((await integrity.verify(orgId)).problems[0]).toEqual({
      seq: 5,
      reason: 'events 5..6 are missing after the purge through seq 4',
    });
  });

  it('finishes a purge that stopped between its checkpoint and its deletes', async () => {
    const orgId = 'half-done';
    for (let i = 0; i < 5; i++) await record(orgId, `old${i}`, now - (250 - i) * DAY);
    await record(orgId, 'new', now);
    // The checkpoint was signed and then the process died before deleting anything.
    const [row] = await raw.query('SELECT hash FROM auditkit_events WHERE org_id = ? AND seq = 5', [
      orgId,
    ]);
    await integrity.purgeCheckpoint(orgId, 5, row.hash, 'retention 180 days');
    expect(await integrity.verify(orgId)).toMatchObject({
      ok: true,
      checked: 1,
      start: { seq: 6 },
    });
    await retention.purge({ now: new Date(now) });
    expect(await count(orgId)).toBe(1);
    expect(await integrity.verify(orgId)).toMatchObject({ ok: true, checked: 1 });
  });

  it('refuses a retention of 0 days at start, naming the option', async () => {
    // A start that fails leaves the connections it opened to the process (Nest tears nothing
    // down), so this one opens an in-memory SQLite database rather than a MariaDB pool.
    await expect(
      Test.createTestingModule({
        imports: [
          AuditLogModule.forRoot({ isGlobal: true, databaseUrl: 'sqlite::memory:' }),
          AuditRetentionModule.forRoot({ retentionDays: 0 }),
        ],
      })
        .compile()
        .then((m) => m.init())
        .then((m) => m.close()),
    ).rejects.toThrow(/retentionDays must be a whole number from 1 to 36500/);
  });
});
