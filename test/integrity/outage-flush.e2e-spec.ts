import { AuditWriteError, createAuditLog, StandaloneAuditLog } from '@auditkit/nestjs';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';
import { ed25519Pem } from './support/integrity-fixture';

// The fail-open buffer flushing after an outage, with a lost COMMIT answer among its batches,
// leaves a chain that verifies: no false alarm, every event once.

describe('verification after a fail-open outage (MariaDB behind a TCP proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let log: StandaloneAuditLog;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    proxy = await TcpProxy.start(
      Number(new URL(MYSQL_URL).port || 3306),
      new URL(MYSQL_URL).hostname,
    );
    log = await createAuditLog({
      databaseUrl: proxy.urlFor(db.url),
      failurePolicy: 'fail-open',
      writer: { retryBaseMs: 20, retryMaxMs: 100 },
      integrity: { signingKey: ed25519Pem().privateKey, schedule: false },
    });
  });

  afterAll(async () => {
    proxy?.restore();
    await log?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('stays silent once the buffer is written', async () => {
    for (let i = 0; i < 5; i++) await log.service.record(groupCreated('acme', `before-${i}`));
    await log.integrity.checkpoint('acme');
    proxy.cut();
    const buffered = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => log.service.record(groupCreated('acme', `during-${i}`))),
    );
    expect(
      buffered.every((r) => r.status === 'rejected' && r.reason instanceof AuditWriteError),
    ).toBe(true);
    // Back, but the first COMMIT's answer is lost (the proxy cuts again): the retry must not
    // store that batch twice, nor leave a hole.
    proxy.restore();
    proxy.loseNextCommitAck();
    await waitFor('the lost COMMIT answer', () => proxy.isCut);
    proxy.restore();
    await log.service.flush();
    const report = await log.integrity.verify('acme');
    expect(report).toMatchObject({ ok: true, checked: 35, headSeq: 35, problems: [] });
    await log.integrity.checkpoint('acme');
    expect(await log.integrity.verify('acme')).toMatchObject({
      ok: true,
      verifiedThrough: { seq: 35 },
    });
  });
});
