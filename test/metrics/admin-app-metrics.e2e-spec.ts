import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions, AuditService, IntegrityService } from '@auditkit/nestjs';
import { ApiExceptionFilter, EVENTS_WRITE_SCOPE, signAuditToken } from '@auditkit/nestjs/admin';
import { AuditExportService } from '@auditkit/nestjs/export';
import { RetentionService } from '@auditkit/nestjs/retention';
import { AdminAppModule } from '../../apps/admin/src/admin-app.module';
import { loadConfig } from '../../apps/admin/src/config';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import { delta, freePort, key, parseMetrics, Samples } from './scrape';

const SECRET = 'metrics-e2e-secret-0123456789abcdef-xyz';
// Distinctive ids and addresses, to look for in the scrape body: none may appear there.
const ORG = 'org-metrics-7f3acme';
const OTHER_ORG = 'org-metrics-9b2globex';
const ACTOR = {
  id: 'u-metrics-4411',
  type: 'user',
  name: 'Mette Rics',
  email: 'mette.rics@acme.test',
};
const REQUESTER = { id: 'u-exporter-5522', name: 'Ex Porter', email: 'ex.porter@acme.test' };
const PERSONAL = [ORG, OTHER_ORG, ACTOR.id, ACTOR.name, ACTOR.email, REQUESTER.id, REQUESTER.email];

/** The admin app as main.ts builds it, from an environment, listening on a free port. */
async function startAdmin(
  env: Record<string, string>,
): Promise<{ app: INestApplication; url: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditkit-metrics-'));
  const config = loadConfig({
    AUDITKIT_DATA_DIR: dataDir,
    AUDITKIT_JWT_SECRET: SECRET,
    // Nothing scheduled: the figures move only by what the test does.
    AUDITKIT_SCHEDULER: 'false',
    ...env,
  });
  const app = await NestFactory.create(AdminAppModule.forConfig(config), {
    bodyParser: false,
    logger: false,
    abortOnError: false,
  });
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function scrape(url: string): Promise<{ body: string; samples: Samples }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const body = await res.text();
  return { body, samples: parseMetrics(body) };
}

describe.each(DATABASES)('the admin app serves /metrics (%s)', (kind) => {
  let db: TestDatabase;
  let admin: Awaited<ReturnType<typeof startAdmin>>;
  let raw: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // Exports run in-process (no REDIS_URL): the gauge reads the exports table, not the queue.
    admin = await startAdmin({ DATABASE_URL: db.url, AUDITKIT_READ_RATE_LIMIT: '1/m' });
    raw = await new DataSource(auditDataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await raw?.destroy();
    await admin?.close();
    await db?.drop();
  });

  it('moves each figure by what was done, with no org, actor or address in it', async () => {
    const { app, url } = admin;
    const audit = app.get(AuditService);
    const before = (await scrape(url)).samples;

    // 4 successes and 2 failures through the service, 1 more success through the API.
    const event = (outcome: 'success' | 'failure', orgId = ORG) => ({
      orgId,
      action: 'group_created',
      outcome,
      actor: ACTOR,
      targets: [{ id: 'g-1', type: 'group', name: 'admins' }],
    });
    await Promise.all([
      audit.record(event('success')),
      audit.record(event('success')),
      audit.record(event('success', OTHER_ORG)),
      audit.record(event('failure')),
    ]);
    await audit.record(event('success'));
    await audit.record(event('failure', OTHER_ORG));
    const token = await signAuditToken(
      {
        sub: ACTOR.id,
        name: ACTOR.name,
        email: ACTOR.email,
        orgs: { [ORG]: ['org-admin'] },
        scope: EVENTS_WRITE_SCOPE,
      },
      SECRET,
      3600,
    );
    const ingest = await fetch(`${url}/admin/v1/orgs/${ORG}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'group_created', actor: ACTOR }),
    });
    expect(ingest.status).toBe(201);

    // An export that finishes. Its audit_log_exported event is written in the export's own
    // transaction, not by the writer, so it is not among the events counted.
    const exports = app.get(AuditExportService);
    const requested = await exports.request({ orgId: ORG, filters: {}, requester: REQUESTER });
    await waitFor('the export to be ready', async () => {
      const e = await exports.get(ORG, requested.id);
      return e?.status === 'ready';
    });

    // A verification of an intact chain, a manual checkpoint, then a purge of everything.
    const integrity = app.get(IntegrityService);
    expect((await integrity.verify(ORG)).ok).toBe(true);
    await integrity.checkpoint(ORG);
    const purged = await app
      .get(RetentionService)
      .purge({ now: new Date(Date.now() + 400 * 24 * 3600_000) });
    const removed = purged.reduce((n, r) => n + r.events, 0);
    expect(removed).toBeGreaterThan(0);

    const { body, samples: after } = await scrape(url);
    const moved = (name: string, labels?: Record<string, string>) =>
      delta(before, after, key(name, labels));
    expect(moved('auditkit_events_recorded_total', { outcome: 'success' })).toBe(5);
    expect(moved('auditkit_events_recorded_total', { outcome: 'failure' })).toBe(2);
    for (const reason of ['buffer_full', 'write_failed', 'shutdown']) {
      expect(after.get(key('auditkit_events_refused_total', { reason }))).toBe(0);
    }
    for (const reason of ['unavailable', 'commit_unknown', 'error']) {
      expect(after.get(key('auditkit_write_failures_total', { reason }))).toBe(0);
    }
    // Every batch is counted once in each histogram; the batches held the 7 events.
    const batches = moved('auditkit_write_batch_size_count');
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(7);
    expect(moved('auditkit_write_batch_size_sum')).toBe(7);
    expect(moved('auditkit_write_duration_seconds_count')).toBe(batches);
    expect(moved('auditkit_write_duration_seconds_sum')).toBeGreaterThan(0);
    expect(after.get('auditkit_writer_pending_events')).toBe(0);
    expect(after.get('auditkit_writer_buffer_capacity_events')).toBe(10000);

    expect(moved('auditkit_export_duration_seconds_count', { result: 'ready' })).toBe(1);
    expect(moved('auditkit_export_duration_seconds_count', { result: 'failed' })).toBe(0);
    expect(after.get(key('auditkit_export_jobs', { state: 'ready' }))).toBe(1);
    for (const state of ['queued', 'running', 'failed', 'expired']) {
      expect(after.get(key('auditkit_export_jobs', { state }))).toBe(0);
    }

    expect(moved('auditkit_verifications_total', { result: 'intact' })).toBe(1);
    expect(moved('auditkit_verifications_total', { result: 'broken' })).toBe(0);
    expect(moved('auditkit_checkpoints_total', { kind: 'manual' })).toBe(1);
    // One purge checkpoint per org.
    expect(moved('auditkit_checkpoints_total', { kind: 'purge' })).toBe(2);
    expect(moved('auditkit_purge_runs_total')).toBe(1);
    expect(moved('auditkit_purge_removed_events_total')).toBe(removed);
    expect(after.get('auditkit_purge_last_success_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    // The admin app also collects the process's default metrics.
    expect(after.has('process_cpu_user_seconds_total')).toBe(true);

    for (const value of PERSONAL) expect(body).not.toContain(value);
    expect(body).not.toMatch(/@acme\.test/);
  });

  it('counts a broken chain as broken', async () => {
    const { app, url } = admin;
    const audit = app.get(AuditService);
    const org = 'org-metrics-tampered';
    for (let i = 0; i < 3; i++) await audit.record({ ...tamperable(org), orgId: org });
    const before = (await scrape(url)).samples;
    await raw.query(
      "UPDATE auditkit_events SET actor_name = 'Mallory' WHERE org_id = ? AND seq = 2",
      [org],
    );
    expect((await app.get(IntegrityService).verify(org)).ok).toBe(false);
    const after = (await scrape(url)).samples;
    expect(delta(before, after, key('auditkit_verifications_total', { result: 'broken' }))).toBe(1);
  });

  it('answers without a token, outside the admin guard and rate limits, recording nothing', async () => {
    const { app, url } = admin;
    const count = async () => {
      await app.get(AuditService).flush();
      const [row] = await raw.query('SELECT COUNT(*) AS n FROM auditkit_events');
      return Number(row.n);
    };
    const stored = await count();
    // The read limit is 1 a minute here; scrapes are not reads of the API.
    for (let i = 0; i < 5; i++) await scrape(url);
    expect(await count()).toBe(stored);
    const post = await fetch(`${url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(404);
  });
});

function tamperable(orgId: string) {
  return {
    orgId,
    action: 'group_created',
    actor: ACTOR,
    targets: [{ id: 'g-2', type: 'group', name: 'ops' }],
  };
}

describe('the admin app metrics settings', () => {
  let db: TestDatabase;
  const opened: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });

  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
  });

  afterAll(async () => db?.drop());

  it('AUDITKIT_METRICS_PORT and AUDITKIT_METRICS_TOKEN: served there, with the token, not on PORT', async () => {
    const port = await freePort();
    const token = 'admin-metrics-token-0123456789';
    const admin = await startAdmin({
      DATABASE_URL: db.url,
      AUDITKIT_METRICS_PORT: String(port),
      AUDITKIT_METRICS_TOKEN: token,
    });
    opened.push(admin);
    expect((await fetch(`${admin.url}/metrics`)).status).toBe(404);
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(metricsUrl)).status).toBe(401);
    const ok = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(parseMetrics(await ok.text()).has('auditkit_writer_pending_events')).toBe(true);
  });

  it('AUDITKIT_METRICS=off: no /metrics', async () => {
    const admin = await startAdmin({ DATABASE_URL: db.url, AUDITKIT_METRICS: 'off' });
    opened.push(admin);
    expect((await fetch(`${admin.url}/metrics`)).status).toBe(404);
  });

  it.each([
    [{ AUDITKIT_METRICS: 'maybe' }, 'AUDITKIT_METRICS must be true or false (got "maybe")'],
    [
      { AUDITKIT_METRICS_PORT: '70000' },
      'AUDITKIT_METRICS_PORT must be a whole number from 1 to 65535 (got "70000")',
    ],
    [
      { PORT: '3000', AUDITKIT_METRICS_PORT: '3000' },
      'AUDITKIT_METRICS_PORT must differ from PORT',
    ],
    [{ AUDITKIT_METRICS_TOKEN: 'short' }, 'AUDITKIT_METRICS_TOKEN must be at least 16 characters'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auditkit-metrics-config-'));
    try {
      expect(() =>
        loadConfig({ AUDITKIT_DATA_DIR: dataDir, AUDITKIT_JWT_SECRET: SECRET, ...env }),
      ).toThrow(message);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('warns when metrics are on in a process without HTTP and without a metrics port', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auditkit-metrics-config-'));
    try {
      const env = {
        AUDITKIT_DATA_DIR: dataDir,
        AUDITKIT_JWT_SECRET: SECRET,
        AUDITKIT_HTTP: 'false',
      };
      expect(loadConfig(env).warnings).toContain(
        'Metrics are not served without HTTP; set AUDITKIT_METRICS_PORT to scrape them',
      );
      expect(loadConfig({ ...env, AUDITKIT_METRICS_PORT: '9464' }).warnings).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
