import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { AuditAdminModule } from '@auditkit/nestjs/admin';
import { AuditExportModule } from '@auditkit/nestjs/export';
import { AuditMetricsModule, AUDIT_METRICS_REGISTRY } from '@auditkit/nestjs/metrics';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';
import { delta, freePort, key, parseMetrics } from './scrape';

const TOKEN = 'metrics-token-0123456789abcdef';

async function start(imports: ModuleMetadata['imports']): Promise<{
  app: INestApplication;
  url: string;
}> {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

describe('AuditMetricsModule in a host app (SQLite)', () => {
  let db: TestDatabase;
  const opened: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });

  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
  });

  afterAll(async () => db?.drop());

  it("registers in the host's registry, serves nothing itself, and leaves the registry at close", async () => {
    const registry = new Registry();
    for (let round = 0; round < 2; round++) {
      // A second app on the same registry starts: the first took its metrics out at close.
      const { app, url } = await start([
        AuditLogModule.forRoot({ databaseUrl: db.url }),
        AuditMetricsModule.forRoot({ registry, prefix: 'host_audit_', path: false }),
      ]);
      opened.push(app);
      expect(app.get(AUDIT_METRICS_REGISTRY)).toBe(registry);
      const audit = app.get(AuditService);
      await audit.record(groupCreated('acme', 'a'));
      await audit.record({ ...groupCreated('acme', 'b'), outcome: 'failure' });
      const samples = parseMetrics(await registry.metrics());
      expect(samples.get(key('host_audit_events_recorded_total', { outcome: 'success' }))).toBe(1);
      expect(samples.get(key('host_audit_events_recorded_total', { outcome: 'failure' }))).toBe(1);
      // No exports module: no export gauge samples; no default metrics unless asked.
      expect([...samples.keys()].some((k) => k.startsWith('host_audit_export_jobs{'))).toBe(false);
      expect(samples.has('process_cpu_user_seconds_total')).toBe(false);
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      await opened.pop()!.close();
      expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual([]);
    }
  });

  it('with a token and a port: serves only there, only with the token', async () => {
    const port = await freePort();
    const { app, url } = await start([
      AuditLogModule.forRoot({ databaseUrl: db.url }),
      AuditMetricsModule.forRoot({ port, host: '127.0.0.1', token: TOKEN }),
    ]);
    opened.push(app);
    await app.get(AuditService).record(groupCreated('acme', 'c'));
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;

    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    const none = await fetch(metricsUrl);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await none.text()).not.toContain('auditkit_');
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, 'Basic abc']) {
      const res = await fetch(metricsUrl, { headers: { authorization: wrong } });
      expect(res.status).toBe(401);
    }
    const ok = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    const samples = parseMetrics(await ok.text());
    expect(samples.get(key('auditkit_events_recorded_total', { outcome: 'success' }))).toBe(1);
    expect(
      (
        await fetch(`http://127.0.0.1:${port}/other`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).status,
    ).toBe(404);

    await opened.pop()!.close();
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });

  it('refuses bad options, naming them', async () => {
    const bad = [
      [{ prefix: '1x' }, /prefix must be/],
      [{ path: 'metrics' }, /path must start with \//],
      [{ port: 70000 }, /port must be a whole number/],
      [{ token: 'short' }, /token must be at least 16 characters/],
      [{ path: false, port: 9999 }, /port needs a path/],
    ] as const;
    for (const [options, message] of bad) {
      await expect(
        Test.createTestingModule({
          imports: [
            AuditLogModule.forRoot({ databaseUrl: db.url }),
            AuditMetricsModule.forRoot(options),
          ],
        }).compile(),
      ).rejects.toThrow(message);
    }
  });
});

describe('/metrics through a database outage (MariaDB behind a TCP proxy, fail-open)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let dir: string;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    proxy = await TcpProxy.start(
      Number(new URL(MYSQL_URL).port || 3306),
      new URL(MYSQL_URL).hostname,
    );
    dir = mkdtempSync(join(tmpdir(), 'auditkit-metrics-host-'));
    ({ app, url } = await start([
      AuditLogModule.forRoot({
        isGlobal: true,
        databaseUrl: proxy.urlFor(db.url),
        failurePolicy: 'fail-open',
        writer: { maxBufferSize: 5, retryBaseMs: 50, retryMaxMs: 200 },
      }),
      AuditAdminModule.forRoot({ jwt: { secret: 'metrics-host-secret-0123456789abcdef' } }),
      AuditExportModule.forRoot({
        publicUrl: 'http://localhost',
        linkSecret: 'metrics-host-link-secret-0123456789',
        storageDir: join(dir, 'exports'),
        outboxDir: join(dir, 'outbox'),
        cleanup: false,
      }),
      AuditMetricsModule.forRoot({ collectTimeoutMs: 300 }),
    ]));
  });

  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await proxy?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const started = Date.now();
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    const samples = parseMetrics(await res.text());
    return { samples, ms: Date.now() - started };
  };

  it('answers at once with the buffer, the failures and the refusals; the export gauge comes back after', async () => {
    const audit = app.get(AuditService);
    await audit.record(groupCreated('acme', 'before'));
    const before = (await scrape()).samples;
    expect(before.get(key('auditkit_export_jobs', { state: 'queued' }))).toBe(0);

    proxy.cut();
    // 5 are buffered (the buffer holds 5), 2 more are refused.
    const settled = await Promise.allSettled(
      Array.from({ length: 7 }, (_, i) => audit.record(groupCreated('acme', `cut-${i}`))),
    );
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    await waitFor('a failed batch', async () => {
      const { samples } = await scrape();
      return (
        delta(before, samples, key('auditkit_write_failures_total', { reason: 'unavailable' })) >= 1
      );
    });
    // The scrape answers although the database does not (the gauges read from it are left out).
    const { samples: during } = await scrape();
    expect(during.get('auditkit_writer_pending_events')).toBe(5);
    expect(during.get('auditkit_writer_buffer_capacity_events')).toBe(5);
    expect(
      delta(before, during, key('auditkit_events_refused_total', { reason: 'buffer_full' })),
    ).toBe(2);
    // The database does not answer: the export gauge is left out, not a failed scrape.
    expect([...during.keys()].some((k) => k.startsWith('auditkit_export_jobs{'))).toBe(false);

    proxy.restore();
    const after = await waitFor(
      'the buffer to drain',
      async () => {
        const { samples } = await scrape();
        return samples.get('auditkit_writer_pending_events') === 0 &&
          samples.has(key('auditkit_export_jobs', { state: 'queued' }))
          ? samples
          : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(
      delta(before, after!, key('auditkit_events_recorded_total', { outcome: 'success' })),
    ).toBe(5);
  });
});

describe('without AuditMetricsModule', () => {
  it('importing the library does not load prom-client (built code)', () => {
    // `npm test` builds first; the library's entry point is its dist/index.js.
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        "require('@auditkit/nestjs'); const loaded = Object.keys(require.cache).filter((p) => p.includes('prom-client')); console.log(JSON.stringify(loaded));",
      ],
      { cwd: join(__dirname, '..', '..'), encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
