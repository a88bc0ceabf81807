/**
 * Export bench on MariaDB (`npm run bench:export`). In one run it measures:
 *
 * 1. the time from POST /exports to the e-mail arriving, for a 10,000-row export (goal < 2 s);
 * 2. the peak RSS growth of a worker process exporting 1,000,000 rows with the cap raised
 *    (goal < 64 MB), measured inside that worker (this file, started again with `--child`);
 * 3. the worker's rows/s against a bare baseline: the same rows streamed by one mysql2 query
 *    straight into fast-csv (goal >= 70 %).
 *
 * Needs MariaDB (AUDITKIT_BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306) and Redis
 * (AUDITKIT_BENCH_REDIS_URL, default redis://127.0.0.1:6379). Makes and drops its own database.
 * BENCH_EXPORT_ROWS changes the size of the big export (default 1,000,000).
 */
import 'reflect-metadata';
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DynamicModule, INestApplication, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Bull from 'bull';
import { format } from 'fast-csv';
import { createConnection as createStreamingConnection } from 'mysql2';
import { createConnection, createPool, Pool, RowDataPacket } from 'mysql2/promise';
import { SMTPServer } from 'smtp-server';
import { AuditLogModule } from '@auditkit/nestjs';
import { AuditAdminModule, signAuditToken } from '@auditkit/nestjs/admin';
import {
  AuditExportModule,
  AuditExportModuleOptions,
  EXPORT_CSV_COLUMNS,
} from '@auditkit/nestjs/export';
// Rows as the store writes them, from its own layout.
import { eventRowValues, PreparedEvent, UNCHAINED } from '../libs/audit-log/src/store/event-row';
import { insertEventsSql } from '../libs/audit-log/src/store/writers/batch-sql';

const MYSQL = process.env.AUDITKIT_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS = process.env.AUDITKIT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BIG_ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
const SMALL_ROWS = 10_000;
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
const LINK_SECRET = 'bench-link-secret-0123456789abcdef012345678';
const PUBLIC_URL = 'http://bench.auditkit.test';

const GOAL_LATENCY_MS = 2000;
const GOAL_RSS_MB = 64;
const GOAL_RATIO = 0.7;

// ---------------------------------------------------------------------------------------------
// The worker process (`--child`): the export module alone, reporting its RSS over IPC.

interface ChildConfig {
  databaseUrl: string;
  smtpUrl: string;
  storageDir: string;
  queue: { name: string; prefix: string };
}

async function child(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_CHILD_CONFIG ?? '') as ChildConfig;
  const context = await NestFactory.createApplicationContext(
    hostModule(config.databaseUrl, {
      redisUrl: REDIS,
      smtpUrl: config.smtpUrl,
      storageDir: config.storageDir,
      worker: true,
      concurrency: 1,
      queue: config.queue,
    }),
    { logger: ['error'] },
  );
  let baseline = 0;
  let peak = 0;
  let heapBaseline = 0;
  let heapPeak = 0;
  // RSS is what the goal is about; heap + buffers shows what the export itself holds, since RSS
  // can hide it in memory the process had already grown to at boot.
  const held = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
    heapPeak = Math.max(heapPeak, held());
  };
  const timer = setInterval(sample, 5);
  process.on('message', async (m: { type: string }) => {
    if (m.type === 'mark') {
      (globalThis as { gc?: () => void }).gc?.();
      baseline = process.memoryUsage.rss();
      peak = baseline;
      heapBaseline = held();
      heapPeak = heapBaseline;
      process.send!({ type: 'marked', baseline });
    } else if (m.type === 'report') {
      sample();
      process.send!({ type: 'report', baseline, peak, heapBaseline, heapPeak });
    } else if (m.type === 'stop') {
      clearInterval(timer);
      await context.close();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// Shared wiring: the library as a host app wires it.

function hostModule(
  databaseUrl: string,
  exportOptions: Partial<AuditExportModuleOptions>,
  api = false,
): DynamicModule {
  @Module({})
  class BenchHostModule {}
  return {
    module: BenchHostModule,
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl }),
      ...(api ? [AuditAdminModule.forRoot({ jwt: { secret: JWT_SECRET } })] : []),
      AuditExportModule.forRoot({
        publicUrl: PUBLIC_URL,
        linkSecret: LINK_SECRET,
        cleanup: false,
        ...exportOptions,
      }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Fast loading: multi-row INSERTs straight into the events table, oldest first (primary key
// order), two connections in parallel.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function ulidAt(time: number): string {
  let t = '';
  for (let i = 0, x = time; i < 10; i++, x = Math.floor(x / 32)) t = ALPHABET[x % 32] + t;
  const bytes = randomBytes(16);
  let r = '';
  for (let i = 0; i < 16; i++) r += ALPHABET[bytes[i] % 32];
  return t + r;
}

const ACTIONS: [string, string][] = [
  ['user_added_to_group', 'groups'],
  ['group_created', 'groups'],
  ['user_invited', 'site_product_users'],
  ['policy_updated', 'security_policies'],
  ['org_settings_changed', 'organization'],
  ['user_two_step_enabled', 'user_accounts'],
];
const NAMES = ['Jane Doe', 'Bob Li', 'Zoë Ölçer', 'Doe, John "JD"', '=HYPERLINK("x")'];

async function loadEvents(pool: Pool, orgId: string, count: number, end: number): Promise<void> {
  const BATCH = 2000;
  const batches: number[] = [];
  for (let start = 0; start < count; start += BATCH) batches.push(start);
  const insert = async (start: number) => {
    const rows: (string | number | null)[][] = [];
    for (let k = start; k < Math.min(start + BATCH, count); k++) {
      // k = 0 is the oldest: seq and ids grow with k.
      const time = end - (count - 1 - k) * 1000;
      const [action, category] = ACTIONS[k % ACTIONS.length];
      const event: PreparedEvent = {
        id: ulidAt(time),
        orgId,
        occurredAt: time,
        recordedAt: time,
        action,
        category,
        actor: {
          id: `u-${k % 101}`,
          type: 'user',
          name: NAMES[k % NAMES.length],
          email: `user${k % 101}@${orgId}.test`,
        },
        targets: [
          {
            id: `u-${k % 997}`,
            type: 'user',
            name: NAMES[(k + 1) % NAMES.length],
            email: `t${k % 997}@${orgId}.test`,
          },
          { id: `g-${k % 13}`, type: 'group', name: `group ${k % 13}` },
        ],
        site: { id: `s-${k % 3}`, name: `${orgId}.atlassian.test` },
        product: k % 2 ? 'jira' : 'confluence',
        location: { ip: `203.0.113.${k % 250}`, userAgent: 'Mozilla/5.0 (bench)' },
        outcome: k % 17 ? 'success' : 'failure',
        metadata: { reason: 'bench', setting: 'sso' },
      };
      // Without the chain: what an export reads does not depend on it.
      rows.push(eventRowValues(event, k + 1, UNCHAINED));
    }
    await pool.query(insertEventsSql(rows.length), rows.flat());
  };
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < batches.length) await insert(batches[next++]);
    }),
  );
  await pool.query(
    'INSERT INTO auditkit_org_state (org_id, last_seq, last_hash) VALUES (?, ?, NULL) ON DUPLICATE KEY UPDATE last_seq = VALUES(last_seq)',
    [orgId, count],
  );
}

// ---------------------------------------------------------------------------------------------
// A real SMTP server that reports when each export's mail arrives.

class MailClock {
  private readonly arrived = new Map<string, number>();
  private readonly waiters = new Map<string, (t: number) => void>();
  readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, _session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const at = performance.now();
        const id = /Message-ID: <export-([0-9A-Z]{26})@/i.exec(
          Buffer.concat(chunks).toString('latin1'),
        )?.[1];
        if (id) {
          this.arrived.set(id, at);
          this.waiters.get(id)?.(at);
        }
        callback();
      });
    },
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const port = (this.server as unknown as { server: { address(): AddressInfo } }).server.address()
      .port;
    return `smtp://127.0.0.1:${port}`;
  }

  mailOf(exportId: string, timeoutMs: number): Promise<number> {
    const seen = this.arrived.get(exportId);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no mail for export ${exportId} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.set(exportId, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------

async function postExport(app: INestApplication, orgId: string, bearer: string): Promise<string> {
  const url = await app.getUrl();
  const res = await fetch(`${url.replace('[::1]', '127.0.0.1')}/admin/v1/orgs/${orgId}/exports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (res.status !== 202)
    throw new Error(`POST exports answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: { id: string } }).data.id;
}

const queuesUsed: { name: string; prefix: string }[] = [];

function unique(label: string) {
  const s = randomBytes(4).toString('hex');
  const queue = { name: `bench-${label}-${s}`, prefix: `auditkit-bench-${s}` };
  queuesUsed.push(queue);
  return queue;
}

/** The baseline: one query, rows straight into fast-csv, into a file. */
async function baseline(
  databaseUrl: string,
  orgId: string,
  file: string,
): Promise<{ rows: number; ms: number }> {
  const conn = createStreamingConnection({
    uri: databaseUrl,
    supportBigNumbers: true,
    bigNumberStrings: false,
  });
  let rows = 0;
  const started = performance.now();
  try {
    const query = conn
      .query(
        'SELECT * FROM auditkit_events FORCE INDEX (idx_auditkit_events_org_time) WHERE org_id = ? ORDER BY occurred_at DESC, id DESC',
        [orgId],
      )
      .stream();
    const toCells = new Transform({
      objectMode: true,
      transform(r: RowDataPacket, _enc, cb) {
        rows += 1;
        cb(null, [
          new Date(Number(r.occurred_at)).toISOString(),
          r.actor_name ?? r.actor_id,
          r.actor_email ?? '',
          r.action,
          r.action,
          r.category,
          r.targets,
          r.site_name ?? '',
          r.product ?? '',
          r.ip ?? '',
          r.outcome,
          r.id,
        ]);
      },
    });
    await pipeline(
      query,
      toCells,
      format({
        headers: [...EXPORT_CSV_COLUMNS],
        rowDelimiter: '\r\n',
        includeEndRowDelimiter: true,
      }),
      createWriteStream(file),
    );
  } finally {
    await new Promise<void>((resolve) => conn.end(() => resolve()));
  }
  return { rows, ms: performance.now() - started };
}

function message(proc: ChildProcess, type: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type === type) {
        proc.off('message', onMessage);
        resolve(m);
      }
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) =>
      reject(new Error(`worker process exited (${code}) before "${type}"`)),
    );
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

async function main(): Promise<void> {
  const t0 = performance.now();
  const dbName = `auditkit_bench_export_${randomBytes(4).toString('hex')}`;
  const server = new URL(MYSQL);
  const admin = await createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username || 'root'),
    password: decodeURIComponent(server.password),
  });
  await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const dbUrl = new URL(MYSQL);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  const storageDir = mkdtempSync(join(tmpdir(), 'auditkit-bench-exports-'));
  const mail = new MailClock();
  const apps: (INestApplication | INestApplicationContext)[] = [];
  let worker: ChildProcess | undefined;
  const results: string[] = [];
  try {
    const smtpUrl = await mail.listen();
    const bearer = await signAuditToken(
      {
        sub: 'u-bench',
        name: 'Bench Admin',
        email: 'bench@auditkit.test',
        orgs: { small: ['org-admin'], big: ['org-admin'] },
      },
      JWT_SECRET,
      3600,
    );

    // The API + worker process of part 1 applies the migrations.
    const q1 = unique('latency');
    const app = await NestFactory.create(
      hostModule(databaseUrl, { redisUrl: REDIS, smtpUrl, storageDir, queue: q1 }, true),
      { logger: ['error'] },
    );
    apps.push(app);
    await app.listen(0, '127.0.0.1');

    const pool = createPool({ uri: databaseUrl, connectionLimit: 2 });
    let t = performance.now();
    await loadEvents(pool, 'small', SMALL_ROWS, Date.now() - 60_000);
    await loadEvents(pool, 'big', BIG_ROWS, Date.now() - 60_000);
    await pool.end();
    const loadMs = performance.now() - t;
    console.log(
      `loaded ${fmt(SMALL_ROWS + BIG_ROWS)} events in ${fmt(loadMs / 1000, 1)} s (${fmt(((SMALL_ROWS + BIG_ROWS) / loadMs) * 1000)} rows/s)`,
    );

    // 1. POST to e-mail for 10,000 rows: one warm-up, then the median of five.
    const latencies: number[] = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      const id = await postExport(app, 'small', bearer);
      const arrived = await mail.mailOf(id, 60_000);
      if (i > 0) latencies.push(arrived - started);
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)];
    results.push(
      `POST -> e-mail, ${fmt(SMALL_ROWS)} rows: median ${fmt(median)} ms (min ${fmt(latencies[0])}, max ${fmt(latencies[latencies.length - 1])}) goal < ${GOAL_LATENCY_MS} ms  ${verdict(median < GOAL_LATENCY_MS)}`,
    );
    console.log(results[results.length - 1]);

    // 3a. The baseline, before the worker run (it also warms the buffer pool and the OS cache).
    const before = await baseline(databaseUrl, 'big', join(storageDir, 'baseline-1.csv'));
    console.log(`baseline run 1: ${fmt(before.rows)} rows in ${fmt(before.ms / 1000, 1)} s`);

    // 2. A worker process of its own exports the big org with the cap raised; it measures its RSS.
    const q2 = unique('big');
    worker = fork(__filename, ['--child'], {
      env: {
        ...process.env,
        BENCH_CHILD_CONFIG: JSON.stringify({ databaseUrl, smtpUrl, storageDir, queue: q2 }),
      },
      execArgv: [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        '--expose-gc',
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await message(worker, 'ready');
    const api = await NestFactory.create(
      hostModule(
        databaseUrl,
        { redisUrl: REDIS, smtpUrl, storageDir, worker: false, maxRows: BIG_ROWS + 1, queue: q2 },
        true,
      ),
      { logger: ['error'] },
    );
    apps.push(api);
    await api.listen(0, '127.0.0.1');
    worker.send({ type: 'mark' });
    const { baseline: rssBefore } = await message(worker, 'marked');
    t = performance.now();
    const bigId = await postExport(api, 'big', bearer);
    const bigMailAt = await mail.mailOf(bigId, 600_000);
    const endToEnd = bigMailAt - t;
    worker.send({ type: 'report' });
    const { peak, heapBaseline, heapPeak } = await message(worker, 'report');
    const growthMb = (peak - rssBefore) / 1024 / 1024;
    const probe = await createConnection({ uri: databaseUrl });
    const [[row]] = await probe.query<RowDataPacket[]>(
      'SELECT row_count, truncated, started_at, ready_at FROM auditkit_exports WHERE id = ?',
      [bigId],
    );
    await probe.end();
    const workerMs = Number(row.ready_at) - Number(row.started_at);
    const oursRate = (Number(row.row_count) / workerMs) * 1000;
    results.push(
      `worker RSS growth, ${fmt(Number(row.row_count))} rows: ${fmt(growthMb, 1)} MB (from ${fmt(rssBefore / 1048576, 1)} to ${fmt(peak / 1048576, 1)} MB) goal < ${GOAL_RSS_MB} MB  ${verdict(growthMb < GOAL_RSS_MB)}`,
    );
    console.log(results[results.length - 1]);
    console.log(
      `worker heap + external growth: ${fmt((heapPeak - heapBaseline) / 1048576, 1)} MB (peak ${fmt(heapPeak / 1048576, 1)} MB)`,
    );
    console.log(
      `big export: ${fmt(Number(row.row_count))} rows (truncated: ${Number(row.truncated) === 1}), worker ${fmt(workerMs / 1000, 1)} s, POST -> e-mail ${fmt(endToEnd / 1000, 1)} s`,
    );

    // 3b. The baseline again, after; the better of the two runs is the bar.
    const after = await baseline(databaseUrl, 'big', join(storageDir, 'baseline-2.csv'));
    console.log(`baseline run 2: ${fmt(after.rows)} rows in ${fmt(after.ms / 1000, 1)} s`);
    const baseRate = Math.max((before.rows / before.ms) * 1000, (after.rows / after.ms) * 1000);
    const ratio = oursRate / baseRate;
    results.push(
      `rows/s: export worker ${fmt(oursRate)} vs bare mysql2 -> fast-csv ${fmt(baseRate)} = ${fmt(ratio * 100, 1)} % goal >= ${GOAL_RATIO * 100} %  ${verdict(ratio >= GOAL_RATIO)}`,
    );
    console.log(results[results.length - 1]);
  } finally {
    if (worker && worker.exitCode === null) {
      worker.send({ type: 'stop' });
      await new Promise((resolve) => worker!.once('exit', resolve));
    }
    for (const a of apps.reverse()) await a.close();
    for (const { name, prefix } of queuesUsed) {
      const queue = new Bull(name, REDIS, { prefix });
      await queue.obliterate({ force: true }).finally(() => queue.close());
    }
    await mail.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
    rmSync(storageDir, { recursive: true, force: true });
  }
  console.log(`\nExport bench (${fmt((performance.now() - t0) / 1000, 0)} s)`);
  for (const line of results) console.log(`  ${line}`);
}

if (process.argv.includes('--child')) {
  child().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
