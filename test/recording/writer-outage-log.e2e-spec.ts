import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuditLogModule, AuditLogModuleOptions, AuditService } from '@auditkit/nestjs';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';

// What the writer logs through a database outage: one line when it starts (with the cause) and
// one when writes succeed again (with what the outage cost), however many events and batches
// failed in between. The database is cut and restored by the tests' TCP proxy.
describe('the writer logs one line per outage, not one per batch (MariaDB behind a TCP proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  const opened: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    proxy = await TcpProxy.start(
      Number(new URL(MYSQL_URL).port || 3306),
      new URL(MYSQL_URL).hostname,
    );
  });

  afterEach(async () => {
    proxy.restore();
    while (opened.length) await opened.pop()!.close();
  });

  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
  });

  async function start(options: Partial<AuditLogModuleOptions>) {
    const logs = new CaptureLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [AuditLogModule.forRoot({ databaseUrl: proxy.urlFor(db.url), ...options })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: logs });
    await app.init();
    opened.push(app);
    return { logs, audit: app.get(AuditService) };
  }

  const failed = (p: Promise<unknown>) =>
    p.then(
      () => 'stored',
      () => 'failed',
    );

  it('fail-closed: the first failed batch is logged with its cause, the rest counted until a write succeeds', async () => {
    const { logs, audit } = await start({ failurePolicy: 'fail-closed' });
    await audit.record(groupCreated('closed', 'before'));

    proxy.cut();
    // One after the other (a batch each), then a burst (a few batches).
    for (let i = 0; i < 20; i++)
      expect(await failed(audit.record(groupCreated('closed', `seq-${i}`)))).toBe('failed');
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => failed(audit.record(groupCreated('closed', `b-${i}`)))),
    );
    expect(burst).toEqual(burst.map(() => 'failed'));

    const failures = logs.find(/^Could not store \d+ audit event\(s\)/);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /^Could not store 1 audit event\(s\); their requests fail with 503 \(failurePolicy: fail-closed\)\. \w+/,
    );
    expect(logs.find(/./, 'error')).toEqual(failures);

    proxy.restore();
    await audit.record(groupCreated('closed', 'after'));
    const recovered = logs.find(/recovered after/);
    expect(recovered).toHaveLength(1);
    const [, batches, refused] =
      /recovered after (\d+) failed batch\(es\), (\d+) event\(s\) refused/.exec(recovered[0])!;
    expect(Number(refused)).toBe(30);
    expect(Number(batches)).toBeGreaterThanOrEqual(21);
    expect(Number(batches)).toBeLessThanOrEqual(30);
    expect(logs.find(/./, 'error')).toHaveLength(1);

    // A second outage is logged again: the count started over.
    proxy.cut();
    await failed(audit.record(groupCreated('closed', 'again')));
    expect(logs.find(/^Could not store \d+ audit event\(s\)/, 'error')).toHaveLength(2);
    proxy.restore();
    await audit.record(groupCreated('closed', 'after-again'));
    expect(logs.find(/recovered after 1 failed batch\(es\), 1 event\(s\) refused/)).toHaveLength(1);
  });

  it('fail-open: one error line for the first failed write and the first full buffer, one when writes succeed again', async () => {
    const { logs, audit } = await start({
      failurePolicy: 'fail-open',
      writer: { retryBaseMs: 10, retryMaxMs: 40, maxBufferSize: 5 },
    });
    await audit.record(groupCreated('open', 'before'));

    proxy.cut();
    const buffered = await Promise.all(
      Array.from({ length: 5 }, (_, i) => failed(audit.record(groupCreated('open', `k-${i}`)))),
    );
    expect(buffered).toEqual(buffered.map(() => 'failed'));
    await waitFor(
      'several failed retries',
      () => logs.find(/kept in the buffer, retrying in \d+ ms/).length >= 5,
    );
    // The buffer is full: each of these is refused.
    for (let i = 0; i < 8; i++) await failed(audit.record(groupCreated('open', `r-${i}`)));

    const errors = logs.find(/./, 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      /^Could not store audit events; \d+ kept in the buffer, retrying in \d+ ms \(failurePolicy: fail-open\)\. \w+/,
    );
    expect(errors[1]).toMatch(/^Audit log buffer is full \(5 of 5 events waiting/);

    proxy.restore();
    await waitFor('the buffer to drain', async () => {
      await audit.flush();
      return logs.find(/recovered after/).length > 0;
    });
    const [recovered] = logs.find(/recovered after/);
    expect(recovered).toMatch(/recovered after \d+ failed batch\(es\), 8 event\(s\) refused/);
    expect(logs.find(/./, 'error')).toHaveLength(2);
  });
});
