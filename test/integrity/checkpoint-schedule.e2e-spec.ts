import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  AuditClock,
  createAuditLog,
  FileCheckpointWitness,
  StandaloneAuditLog,
  WebhookCheckpointWitness,
} from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { waitFor } from '../support/wait-for';
import { ed25519Pem } from './support/integrity-fixture';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Checkpoints come every N events or T minutes, whichever first, off the recording path; they
// stay silent (no false alarm) with several writers on one database.

describe.each(DATABASES)('checkpoint schedule on %s', (kind) => {
  let db: TestDatabase;
  let a: StandaloneAuditLog;
  let b: StandaloneAuditLog;
  let now = Date.now();
  const clock: AuditClock = { now: () => new Date(now) };
  let down: Server;
  let witnessDir: string;
  const key = ed25519Pem().privateKey;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    witnessDir = mkdtempSync(join(tmpdir(), 'auditkit-witness-'));
    // A witness that always fails: checkpoints must go on without it.
    down = createServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const integrity = {
      signingKey: key,
      checkpointEveryEvents: 5,
      checkpointEveryMinutes: 10,
      witnesses: [
        new WebhookCheckpointWitness({
          url: `http://127.0.0.1:${(down.address() as AddressInfo).port}/`,
          secret: 's',
        }),
        new FileCheckpointWitness(witnessDir),
      ],
    };
    a = await createAuditLog({ databaseUrl: db.url, clock, integrity });
    b = await createAuditLog({ databaseUrl: db.url, clock, integrity, migrationsRun: false });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await new Promise((r) => down?.close(r));
    await db?.drop();
    if (witnessDir) rmSync(witnessDir, { recursive: true, force: true });
  });

  const seqs = async (orgId: string) =>
    (await a.integrity.checkpoints.list(orgId)).map((c) => c.seq);

  it('takes one every N events, off the recording path, and hands it to the witnesses', async () => {
    const orgId = 'every-n';
    for (let i = 0; i < 11; i++) await a.service.record(groupCreated(orgId, `g${i}`));
    // The first event starts the count; then one at each 5 more.
    await waitFor('two checkpoints', async () => (await seqs(orgId)).length >= 2);
    expect(await seqs(orgId)).toEqual([6, 11]);
    expect((await new FileCheckpointWitness(witnessDir).read(orgId)).map((c) => c.seq)).toEqual([
      6, 11,
    ]);
  });

  it('takes one once the last is T minutes old and newer events exist', async () => {
    const orgId = 'every-t';
    await a.service.record(groupCreated(orgId, 'first'));
    await a.integrity.scheduled();
    expect(await seqs(orgId)).toEqual([1]);
    await a.service.record(groupCreated(orgId, 'second'));
    await a.integrity.scheduled();
    expect(await seqs(orgId)).toEqual([1]);
    now += 11 * 60_000;
    await a.integrity.scheduled();
    expect(await seqs(orgId)).toEqual([1, 2]);
    // Nothing new: nothing to sign, however old the last checkpoint.
    now += 60 * 60_000;
    await a.integrity.scheduled();
    expect(await seqs(orgId)).toEqual([1, 2]);
  });

  it('stays silent with two writers on one org, each taking checkpoints', async () => {
    const orgId = 'two-writers';
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).service.record(groupCreated(orgId, `w${i}`)),
      ),
    );
    await a.integrity.checkpoint(orgId);
    await b.integrity.scheduled();
    await waitFor('checkpoints', async () => (await seqs(orgId)).includes(40));
    const report = await b.integrity.verify(orgId);
    expect(report).toMatchObject({ ok: true, checked: 40, problems: [] });
    expect(report.verifiedThrough?.seq).toBe(40);
  });
});
